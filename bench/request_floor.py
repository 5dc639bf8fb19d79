#!/usr/bin/env python3
"""The floor of one batch request (issue 14, bench/service.sh (a)): the reads that request needs,
run by the sqlite3 shell against the same database, for the same orders: the orders' open lines,
the active code links, and for the codes of their product groups the stock sums, the outflows and
the inflows per code and day (the five queries of crates/store/src/sqlite.rs, with the order and
code lists as literals). The shell prints every row (to /dev/null), so the floor includes
producing the rows as text. Its time is the sum of the shell's own `.timer` figures (process
start excluded); median of RUNS runs after one warm-up.

usage: request_floor.py DB SAMPLE_FILE TODAY RUNS [A_MEDIAN_FILE]
Prints the floor, and with A_MEDIAN_FILE (seconds of (a), as bench_service --median-out writes
it) the ratio (a) / floor. Never asserted anywhere.
"""
import json
import re
import sqlite3
import statistics
import subprocess
import sys


def group_codes(db, codes):
    """The codes of the product groups of `codes` (active links, union-find), as the store does."""
    parent = {}

    def find(c):
        parent.setdefault(c, c)
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for a, b in db.execute("SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE ativo = 1"):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    roots = {find(c) for c in codes}
    return sorted({c for c in list(parent) if find(c) in roots} | set(codes))


def main():
    db_path, sample_path, today, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    orders = [l.strip() for l in open(sample_path) if l.strip()]
    db = sqlite3.connect(db_path)
    lines_sql = (
        "SELECT id, num_pedido, cod_produto, nome_produto, qtd_saldo_produto_pedido, "
        "preco_produto_pedido, expedicao, data_pedido FROM carteira_principal "
        "WHERE ativo = 1 AND qtd_saldo_produto_pedido >= 1 "
        f"AND num_pedido IN (SELECT value FROM json_each('{json.dumps(orders)}'))"
    )
    codes = {r[2] for r in db.execute(lines_sql)}
    codes = json.dumps(group_codes(db, codes))
    code_filter = f"AND cod_produto IN (SELECT value FROM json_each('{codes}'))"
    script = "\n".join([
        ".timer on",
        "BEGIN;",
        lines_sql + ";",
        "SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE ativo = 1;",
        f"SELECT cod_produto, SUM(qtd_movimentacao) FROM movimentacao_estoque WHERE ativo = 1 {code_filter} GROUP BY cod_produto;",
        f"SELECT cod_produto, CASE WHEN expedicao IS NULL OR expedicao < '{today}' THEN NULL ELSE expedicao END AS dia, "
        f"SUM(qtd_saldo) FROM separacao WHERE sincronizado_nf = 0 {code_filter} GROUP BY cod_produto, dia;",
        f"SELECT cod_produto, data_programacao, SUM(qtd_programada) FROM programacao_producao "
        f"WHERE data_programacao >= '{today}' {code_filter} GROUP BY cod_produto, data_programacao;",
        "COMMIT;",
    ]) + "\n"
    timer = re.compile(r"^Run Time: real ([0-9.]+)")

    def once():
        out = subprocess.run(["sqlite3", db_path], input=script, capture_output=True, text=True, check=True)
        return sum(float(m.group(1)) for l in out.stdout.splitlines() if (m := timer.match(l)))

    once()
    times = [once() for _ in range(runs)]
    floor = statistics.median(times)
    print(f"floor of (a): the sqlite3 shell's reads for the same {len(orders)} orders: median {floor * 1000:.1f} ms "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    if len(sys.argv) > 5:
        a = float(open(sys.argv[5]).read().split()[0])
        print(f"(a) / floor: {a / floor:.1f}x (target: at most 2x)")


if __name__ == "__main__":
    main()
