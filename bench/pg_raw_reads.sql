-- The raw reads of a whole-book analysis on PostgreSQL (Ruptura's own layout), exactly as
-- `ruptura analyze --db postgres://...` runs them (written by the store test
-- `the_bench_script_has_the_reads_the_store_runs`; RUPTURA_WRITE_BENCH_SQL=1 rewrites it):
-- order lines, active links, stock per code, outflows and inflows per code and day.
-- Time it against the analysis, for example:
--   time psql "$DATABASE_URL" -X -q -v today=2026-03-02 -f bench/pg_raw_reads.sql > /dev/null
--   time ruptura analyze --db "$DATABASE_URL" --today 2026-03-02 --format json -o /dev/null
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT id, num_pedido, cod_produto, COALESCE(nome_produto, '') AS nome_produto, qtd_saldo_produto_pedido AS qtd, preco_produto_pedido AS preco, expedicao, data_pedido FROM carteira_principal WHERE COALESCE(ativo, TRUE) AND qtd_saldo_produto_pedido >= 0.001;
SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE COALESCE(ativo, TRUE) AND codigo_origem IS NOT NULL AND codigo_destino IS NOT NULL;
SELECT cod_produto, SUM(qtd_movimentacao) FROM movimentacao_estoque WHERE COALESCE(ativo, TRUE) AND cod_produto IS NOT NULL GROUP BY 1;
SELECT cod_produto, CASE WHEN expedicao IS NULL OR expedicao < DATE :'today' THEN NULL ELSE expedicao END, SUM(qtd_saldo) FROM separacao WHERE NOT COALESCE(sincronizado_nf, FALSE) AND qtd_saldo IS NOT NULL AND cod_produto IS NOT NULL GROUP BY 1, 2;
SELECT cod_produto, data_programacao, SUM(qtd_programada) FROM programacao_producao WHERE data_programacao >= DATE :'today' AND qtd_programada IS NOT NULL AND cod_produto IS NOT NULL GROUP BY 1, 2;
COMMIT;
