-- Recorded runs of whole-book analyses (SPEC 8.5). What each run needs to be compared and
-- explained is one compressed document (`dados`); the other columns are what the list shows and
-- what picks the runs to compare.
CREATE TABLE execucoes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    criada_em TEXT NOT NULL,                    -- RFC 3339, UTC
    data_base TEXT NOT NULL,                    -- YYYY-MM-DD
    modo TEXT NOT NULL,
    parametros TEXT NOT NULL,                   -- JSON: horizon, lead time, criticality rule...
    origem TEXT NOT NULL,                       -- analyze, job, agendada
    total_pedidos INTEGER NOT NULL,
    pedidos_com_ruptura INTEGER NOT NULL,
    duracao_ms INTEGER NOT NULL,
    dados BLOB NOT NULL
);
