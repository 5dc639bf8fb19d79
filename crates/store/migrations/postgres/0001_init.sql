-- Ruptura's own tables on PostgreSQL, with the column names of the system the seed comes from
-- and native types: NUMERIC quantities and money, DATE, BOOLEAN.

CREATE TABLE carteira_principal (
    id BIGSERIAL PRIMARY KEY,
    num_pedido VARCHAR(50) NOT NULL,
    cod_produto VARCHAR(50) NOT NULL,
    nome_produto VARCHAR(255) NOT NULL DEFAULT '',
    qtd_saldo_produto_pedido NUMERIC(15,3) NOT NULL,
    preco_produto_pedido NUMERIC(15,2),
    ativo BOOLEAN NOT NULL DEFAULT TRUE,
    raz_social_red VARCHAR(255),
    cnpj_cpf VARCHAR(20),
    nome_cidade VARCHAR(100),
    cod_uf VARCHAR(2),
    vendedor VARCHAR(100),
    equipe_vendas VARCHAR(100),
    data_pedido DATE,
    expedicao DATE,
    agendamento DATE
);
CREATE INDEX ix_carteira_pedido ON carteira_principal (num_pedido, id);

CREATE TABLE movimentacao_estoque (
    id BIGSERIAL PRIMARY KEY,
    cod_produto VARCHAR(50) NOT NULL,
    nome_produto VARCHAR(255),
    data_movimentacao DATE,
    tipo_movimentacao VARCHAR(50),
    qtd_movimentacao NUMERIC(15,3) NOT NULL,
    ativo BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX ix_movimentacao_cod ON movimentacao_estoque (cod_produto) INCLUDE (ativo, qtd_movimentacao);

CREATE TABLE separacao (
    id BIGSERIAL PRIMARY KEY,
    separacao_lote_id VARCHAR(50),
    num_pedido VARCHAR(50),
    cod_produto VARCHAR(50) NOT NULL,
    qtd_saldo NUMERIC(15,3) NOT NULL,
    expedicao DATE,
    sincronizado_nf BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX ix_separacao_cod ON separacao (cod_produto);

CREATE TABLE programacao_producao (
    id BIGSERIAL PRIMARY KEY,
    cod_produto VARCHAR(50) NOT NULL,
    nome_produto VARCHAR(255),
    data_programacao DATE NOT NULL,
    qtd_programada NUMERIC(15,3) NOT NULL,
    linha_producao VARCHAR(50)
);
CREATE INDEX ix_programacao_cod ON programacao_producao (cod_produto, data_programacao);

CREATE TABLE unificacao_codigos (
    id BIGSERIAL PRIMARY KEY,
    codigo_origem VARCHAR(50) NOT NULL,
    codigo_destino VARCHAR(50) NOT NULL,
    ativo BOOLEAN NOT NULL DEFAULT TRUE
);
