-- The raw reads of a whole-book analysis on SQLite: exactly the five queries `ruptura analyze`
-- runs (crates/store/src/sqlite.rs), with today = 2026-03-02. The bench times
-- `sqlite3 DB < this file > /dev/null` against `ruptura analyze` on the same database.
SELECT id, num_pedido, cod_produto, nome_produto, qtd_saldo_produto_pedido, preco_produto_pedido, expedicao, data_pedido
  FROM carteira_principal WHERE ativo = 1 AND qtd_saldo_produto_pedido >= 1;
SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE ativo = 1;
SELECT cod_produto, SUM(qtd_movimentacao) FROM movimentacao_estoque
  WHERE ativo = 1 GROUP BY cod_produto;
SELECT cod_produto, CASE WHEN expedicao IS NULL OR expedicao < '2026-03-02' THEN NULL ELSE expedicao END AS dia, SUM(qtd_saldo)
  FROM separacao WHERE sincronizado_nf = 0 GROUP BY cod_produto, dia;
SELECT cod_produto, data_programacao, SUM(qtd_programada) FROM programacao_producao
  WHERE data_programacao >= '2026-03-02' GROUP BY cod_produto, data_programacao;
