-- Covering indexes for the per-code aggregates of a subset load (a batch, a request): the
-- outflow and inflow sums read the index only, never the table rows.
DROP INDEX IF EXISTS ix_separacao_cod;
CREATE INDEX ix_separacao_cod ON separacao (cod_produto, sincronizado_nf, expedicao, qtd_saldo);
DROP INDEX IF EXISTS ix_programacao_cod;
CREATE INDEX ix_programacao_cod ON programacao_producao (cod_produto, data_programacao, qtd_programada);
