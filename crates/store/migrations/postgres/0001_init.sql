-- Ruptura's own tables on PostgreSQL, with the column names of the system the seed comes from
-- and native types: NUMERIC quantities and money, DATE, BOOLEAN. Text columns are TEXT (no
-- length limit), as on SQLite: what one backend accepts, the other accepts too.

CREATE TABLE carteira_principal (
    id BIGSERIAL PRIMARY KEY,
    num_pedido TEXT NOT NULL,
    cod_produto TEXT NOT NULL,
    nome_produto TEXT NOT NULL DEFAULT '',
    qtd_saldo_produto_pedido NUMERIC(15,3) NOT NULL,
    preco_produto_pedido NUMERIC(15,2),
    ativo BOOLEAN NOT NULL DEFAULT TRUE,
    raz_social_red TEXT,
    cnpj_cpf TEXT,
    nome_cidade TEXT,
    cod_uf TEXT,
    vendedor TEXT,
    equipe_vendas TEXT,
    data_pedido DATE,
    expedicao DATE,
    agendamento DATE
);
-- Lines of a set of orders (num_pedido = ANY($1)).
CREATE INDEX ix_carteira_pedido ON carteira_principal (num_pedido, id);

CREATE TABLE movimentacao_estoque (
    id BIGSERIAL PRIMARY KEY,
    cod_produto TEXT NOT NULL,
    nome_produto TEXT,
    data_movimentacao DATE,
    tipo_movimentacao TEXT,
    qtd_movimentacao NUMERIC(15,3) NOT NULL,   -- signed
    ativo BOOLEAN NOT NULL DEFAULT TRUE
);
-- Covering: the stock sum per code reads the index only.
CREATE INDEX ix_movimentacao_cod ON movimentacao_estoque (cod_produto) INCLUDE (ativo, qtd_movimentacao);

CREATE TABLE separacao (
    id BIGSERIAL PRIMARY KEY,
    separacao_lote_id TEXT,
    num_pedido TEXT,
    cod_produto TEXT NOT NULL,
    qtd_saldo NUMERIC(15,3) NOT NULL,
    expedicao DATE,
    sincronizado_nf BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX ix_separacao_cod ON separacao (cod_produto) INCLUDE (sincronizado_nf, expedicao, qtd_saldo);

CREATE TABLE programacao_producao (
    id BIGSERIAL PRIMARY KEY,
    cod_produto TEXT NOT NULL,
    nome_produto TEXT,
    data_programacao DATE NOT NULL,
    qtd_programada NUMERIC(15,3) NOT NULL,
    linha_producao TEXT
);
CREATE INDEX ix_programacao_cod ON programacao_producao (cod_produto, data_programacao) INCLUDE (qtd_programada);

CREATE TABLE unificacao_codigos (
    id BIGSERIAL PRIMARY KEY,
    codigo_origem TEXT NOT NULL,
    codigo_destino TEXT NOT NULL,
    ativo BOOLEAN NOT NULL DEFAULT TRUE
);
