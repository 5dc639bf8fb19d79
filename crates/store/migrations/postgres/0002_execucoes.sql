-- Recorded runs of whole-book analyses (SPEC 8.5). What each run needs to be compared and
-- explained is one compressed document (`dados`); the other columns are what the list shows and
-- what picks the runs to compare.
CREATE TABLE execucoes (
    id BIGSERIAL PRIMARY KEY,
    criada_em TIMESTAMPTZ NOT NULL,
    data_base DATE NOT NULL,
    modo TEXT NOT NULL,
    parametros TEXT NOT NULL,
    origem TEXT NOT NULL,
    total_pedidos BIGINT NOT NULL,
    pedidos_com_ruptura BIGINT NOT NULL,
    duracao_ms BIGINT NOT NULL,
    dados BYTEA NOT NULL
);
