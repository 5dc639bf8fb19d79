#!/usr/bin/env bash
# Recorded runs (issue 11, SPEC 8.5) on the seeded scale book (10,000 orders): the extra time of
# recording a whole-book run (`ruptura analyze` with and without `--sem-registro`, interleaved),
# the time of a comparison (`ruptura mudancas --format json` between a run and one three days
# later), and the bytes each run keeps. SQLite, and PostgreSQL when PG_URL answers. Medians.
#
#   bench/runs.sh            # RUNS=9 SEED=42 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
SEED=${SEED:-42}
TODAY=2026-03-02
LATER=2026-03-05
OUT=${BENCH_DIR:-bench-out}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
mkdir -p "$OUT"

. bench/lib.sh
build_release
DATA="$OUT/scale-$SEED"
[ -f "$DATA/carteira_principal.csv" ] || target/release/examples/generate scale "$SEED" "$DATA" >/dev/null

report() {
  awk '{printf "%-22s median %.3f s  (min %.3f, max %.3f)  peak %.0f MB\n", $1, $2, $3, $4, $5}' "$1"
  python3 - "$1" <<'PY'
import sys
rows = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1])}
base, rec = rows["analyze_sem_registro"], rows["analyze_com_registro"]
print(f"recording a run adds {rec - base:.3f} s = {100 * (rec - base) / base:.1f}% of the analysis")
PY
}

# bench_db URL NAME: the measurements on one database, already holding the book.
bench_db() {
  local db=$1 name=$2
  echo
  echo "== $name: whole-book analysis with and without recording, median of $RUNS"
  bench/timeit.py "$RUNS" \
    analyze_sem_registro "$BIN analyze --db $db --today $TODAY --format table --output /dev/null --sem-registro" \
    analyze_com_registro "$BIN analyze --db $db --today $TODAY --format table --output /dev/null" \
    > "$OUT/runs-$name.txt"
  report "$OUT/runs-$name.txt"
  $BIN analyze --db "$db" --today "$LATER" --format table --output /dev/null
  echo "== $name: comparison of the runs of $TODAY and $LATER, median of $RUNS"
  bench/timeit.py "$RUNS" mudancas "$BIN mudancas --db $db --format json --output $OUT/mudancas-$name.json" \
    | awk '{printf "%-22s median %.3f s  (min %.3f, max %.3f)  peak %.0f MB\n", $1, $2, $3, $4, $5}'
  $BIN execucoes --db "$db" --format json | python3 -c '
import json, sys
runs = json.load(sys.stdin)["execucoes"]
sizes = sorted(r["bytes"] for r in runs)
orders = runs[0]["total_pedidos"]
print(f"bytes per run: median {sizes[len(sizes)//2]:,} ({len(runs)} runs kept, {orders:,} orders each)")'
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
n = len(m["mudancas"])
print(f"changed orders: {n:,}", m["resumo"])' "$OUT/mudancas-$name.json"
}

DB="$OUT/runs.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
$BIN import --db "$DB" "$DATA" 2>/dev/null
bench_db "$DB" sqlite

if psql "$PG_URL/postgres" -X -q -c 'select 1' >/dev/null 2>&1; then
  PGDB=ruptura_bench_runs
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" -c "CREATE DATABASE $PGDB" >/dev/null
  $BIN import --db "$PG_URL/$PGDB" "$DATA" 2>/dev/null
  psql "$PG_URL/$PGDB" -X -q -c 'VACUUM ANALYZE' >/dev/null
  bench_db "$PG_URL/$PGDB" postgresql
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null
else
  echo "(PostgreSQL at $PG_URL does not answer: skipped)"
fi
