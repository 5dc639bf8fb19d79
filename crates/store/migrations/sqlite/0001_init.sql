-- Ruptura's own tables on SQLite. SQLite has no decimal type, so quantities are stored as
-- integer thousandths (1.5 -> 1500) and prices as integer cents (12.34 -> 1234): sums stay exact
-- in SQL. Dates are ISO text (YYYY-MM-DD), booleans 0/1.

CREATE TABLE carteira_principal (
    id INTEGER PRIMARY KEY,
    num_pedido TEXT NOT NULL,
    cod_produto TEXT NOT NULL,
    nome_produto TEXT NOT NULL DEFAULT '',
    qtd_saldo_produto_pedido INTEGER NOT NULL,  -- thousandths
    preco_produto_pedido INTEGER,               -- cents
    ativo INTEGER NOT NULL DEFAULT 1,
    raz_social_red TEXT,
    cnpj_cpf TEXT,
    nome_cidade TEXT,
    cod_uf TEXT,
    vendedor TEXT,
    equipe_vendas TEXT,
    data_pedido TEXT,
    expedicao TEXT,
    agendamento TEXT
);
-- Lines of a set of orders, in id order.
CREATE INDEX ix_carteira_pedido ON carteira_principal (num_pedido, id);

CREATE TABLE movimentacao_estoque (
    id INTEGER PRIMARY KEY,
    cod_produto TEXT NOT NULL,
    nome_produto TEXT,
    data_movimentacao TEXT,
    tipo_movimentacao TEXT,
    qtd_movimentacao INTEGER NOT NULL,          -- thousandths, signed
    ativo INTEGER NOT NULL DEFAULT 1
);
-- Covering: the stock sum per code reads the index only.
CREATE INDEX ix_movimentacao_cod ON movimentacao_estoque (cod_produto, ativo, qtd_movimentacao);

CREATE TABLE separacao (
    id INTEGER PRIMARY KEY,
    separacao_lote_id TEXT,
    num_pedido TEXT,
    cod_produto TEXT NOT NULL,
    qtd_saldo INTEGER NOT NULL,                 -- thousandths
    expedicao TEXT,
    sincronizado_nf INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_separacao_cod ON separacao (cod_produto, sincronizado_nf, expedicao);

CREATE TABLE programacao_producao (
    id INTEGER PRIMARY KEY,
    cod_produto TEXT NOT NULL,
    nome_produto TEXT,
    data_programacao TEXT NOT NULL,
    qtd_programada INTEGER NOT NULL,            -- thousandths
    linha_producao TEXT
);
CREATE INDEX ix_programacao_cod ON programacao_producao (cod_produto, data_programacao);

CREATE TABLE unificacao_codigos (
    id INTEGER PRIMARY KEY,
    codigo_origem TEXT NOT NULL,
    codigo_destino TEXT NOT NULL,
    ativo INTEGER NOT NULL DEFAULT 1
);
