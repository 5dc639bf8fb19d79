#!/usr/bin/env bash
# End-to-end benchmark of the whole-book analysis (issues 2 and 5): the seeded scale data set
# (10,000 orders, ~50,000 lines, 2,000 products, ~100,000 movements), imported with
# `ruptura import`, then `ruptura analyze` over the whole book against the database's own shell
# running the raw reads the analysis needs (bench/sqlite_raw_reads.sql, bench/pg_raw_reads.sql).
# Medians of RUNS interleaved runs, peak memory of the process. PostgreSQL is measured when
# PG_URL (default postgres://postgres@127.0.0.1:5432) answers.
#
#   bench/analyze.sh            # RUNS=9 SEED=42 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
SEED=${SEED:-42}
TODAY=2026-03-02
OUT=${BENCH_DIR:-bench-out}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
mkdir -p "$OUT"

. bench/lib.sh
build_release
DATA="$OUT/scale-$SEED"
[ -f "$DATA/carteira_principal.csv" ] || target/release/examples/generate scale "$SEED" "$DATA" >/dev/null
ROWS=$(($(cat "$DATA"/*.csv | wc -l) - 5))
echo "data set: seed $SEED, $ROWS rows ($(($(wc -l < "$DATA/carteira_principal.csv") - 1)) order lines)"

DB="$OUT/scale.db"
echo
echo "== import (SQLite), $ROWS rows, median of 3"
read -r _ imp_med _ _ imp_rss < <(bench/timeit.py 3 import "rm -f $DB $DB-wal $DB-shm && $BIN import --db $DB $DATA 2>/dev/null")
python3 -c "print(f'import: {$imp_med:.2f} s median, {$ROWS/$imp_med:,.0f} rows/s, peak {$imp_rss:.0f} MB')"

echo
echo "== whole-book analysis (SQLite), median of $RUNS"
bench/timeit.py "$RUNS" \
  sqlite3_raw_reads "sqlite3 $DB < bench/sqlite_raw_reads.sql" \
  analyze_json "$BIN analyze --db $DB --today $TODAY --format json --output $OUT/out.json" \
  analyze_json_sem_registro "$BIN analyze --db $DB --today $TODAY --format json --sem-registro --output $OUT/out-nr.json" \
  analyze_table "$BIN analyze --db $DB --today $TODAY --format table --output $OUT/out.txt" \
  analyze_sequencial "$BIN analyze --db $DB --today $TODAY --modo sequencial --format json --output $OUT/out-seq.json" \
  | tee "$OUT/sqlite.txt" | awk '{printf "%-26s median %.3f s  (min %.3f, max %.3f)  peak %.0f MB\n", $1, $2, $3, $4, $5}'
python3 - "$OUT/sqlite.txt" <<'PY'
import sys
rows = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1])}
raw = rows["sqlite3_raw_reads"]
for k in ("analyze_json", "analyze_json_sem_registro", "analyze_table", "analyze_sequencial"):
    print(f"{k}: {rows[k] / raw:.2f} x the raw reads")
PY

if psql "$PG_URL/postgres" -X -q -c 'select 1' >/dev/null 2>&1; then
  echo
  echo "== PostgreSQL ($PG_URL), median of $RUNS"
  PGDB=ruptura_bench
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" -c "CREATE DATABASE $PGDB" >/dev/null
  read -r _ pimp _ _ _ < <(bench/timeit.py 1 import "$BIN import --db $PG_URL/$PGDB $DATA 2>/dev/null")
  python3 -c "print(f'import: {$pimp:.2f} s, {$ROWS/$pimp:,.0f} rows/s')"
  psql "$PG_URL/$PGDB" -X -q -c 'VACUUM ANALYZE' >/dev/null
  bench/timeit.py "$RUNS" \
    psql_raw_reads "psql $PG_URL/$PGDB -X -q --csv -v today=$TODAY -f bench/pg_raw_reads.sql" \
    analyze_json "$BIN analyze --db $PG_URL/$PGDB --today $TODAY --format json --output $OUT/out-pg.json" \
    analyze_table "$BIN analyze --db $PG_URL/$PGDB --today $TODAY --format table --output $OUT/out-pg.txt" \
    | tee "$OUT/pg.txt" | awk '{printf "%-26s median %.3f s  (min %.3f, max %.3f)  peak %.0f MB\n", $1, $2, $3, $4, $5}'
  python3 - "$OUT/pg.txt" "$OUT/out.json" "$OUT/out-pg.json" <<'PY'
import json, sys
rows = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1])}
raw = rows["psql_raw_reads"]
for k in ("analyze_json", "analyze_table"):
    print(f"{k}: {rows[k] / raw:.2f} x the raw reads")
a = json.load(open(sys.argv[2]))["resultados"]; b = json.load(open(sys.argv[3]))["resultados"]
print("PostgreSQL results equal to SQLite's:", a == b, f"({len(a)} orders)")
PY
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null
else
  echo "(PostgreSQL at $PG_URL does not answer: skipped)"
fi
