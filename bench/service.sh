#!/usr/bin/env bash
# End-to-end benchmark of the HTTP service (issue "The HTTP API: batch analysis, jobs with live
# progress, and a hundred times the seed's speed"): the seeded scale data set (10,000 orders,
# ~50,000 lines, 2,000 products), imported into a fresh SQLite file, `ruptura serve` started on a
# free port, and crates/cli/examples/bench_service.rs as the client:
#   (a) one request of 1,000 orders (tamanho_lote 20, max_workers 5), median of RUNS;
#   (b) 8 concurrent clients sending 20-order batches back to back: p50 / p99 / max latency;
#   (c) a whole-book job of 10,000 orders timed to its `concluido` event, median of RUNS;
#   (d) the 8 clients of (b) in `modo prioridade` (SPEC 8.1; PRIORITY_REQUESTS each, default 20);
#   (e) `ruptura produtos` over the whole book (SPEC 8.4), independente and prioridade;
# the floor of (a) (the same orders' reads in the sqlite3 shell, bench/request_floor.py),
# and the yardstick: the same 1,000 orders analysed the way the seed's system did it (per order
# its own queries, 5 threads) against the same SQLite file, with `ratio = yardstick / (a)`.
# Runs of (a) and the yardstick are interleaved. Times are printed, never asserted.
# With --pg, a second yardstick runs the seed's own stack on the PostgreSQL copy: Python,
# SQLAlchemy ORM queries and 5 threads (bench/seed_yardstick.py, in a venv under bench-out/), on
# the same 1,000 orders, and its ratio to (a) on each database is printed.
#
#   bench/service.sh              # RUNS=5 SEED=42 by default
#   bench/service.sh --pg         # then the same against a PostgreSQL copy (PG_URL, default
#                                 # postgres://postgres@127.0.0.1:5432), yardstick included
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SEED=${SEED:-42}
TODAY=2026-03-02
OUT=${BENCH_DIR:-bench-out}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
WITH_PG=0
for arg in "$@"; do
  case $arg in
    --pg) WITH_PG=1 ;;
    *) echo "usage: $0 [--pg]" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
mkdir -p "$OUT"

. bench/lib.sh
build_release
CLIENT=target/release/examples/bench_service
DATA="$OUT/scale-$SEED"
[ -f "$DATA/carteira_principal.csv" ] || target/release/examples/generate scale "$SEED" "$DATA" >/dev/null
echo "data set: seed $SEED, $(($(wc -l < "$DATA/carteira_principal.csv") - 1)) order lines"

DB="$OUT/service.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
$BIN import --db "sqlite://$DB" "$DATA" >/dev/null 2>&1

trap stop_server EXIT

echo
echo "== service on SQLite ($DB), $RUNS runs; $(nproc) cores; uptime:$(uptime | sed 's/.*load/ load/')"
start_server "sqlite://$DB" "$OUT/service-server.log"
$CLIENT --url "http://127.0.0.1:$PORT" --db "$DB" --today "$TODAY" --runs "$RUNS" --seed "$SEED" \
  --sample-out "$OUT/sample-orders.txt" --median-out "$OUT/a-sqlite.txt" |
  tee "$OUT/service-sqlite.txt"
# The floor of (a): the same orders' reads in the sqlite3 shell (bench/request_floor.py).
python3 bench/request_floor.py "$DB" "$OUT/sample-orders.txt" "$TODAY" "$RUNS" "$OUT/a-sqlite.txt" |
  tee -a "$OUT/service-sqlite.txt"
# (d) SPEC 8.1: the same 8 clients with 20-order batches in `prioridade` mode (each request
# allocates over the whole book); fewer requests per client, as each costs a whole-book run.
$CLIENT --url "http://127.0.0.1:$PORT" --today "$TODAY" --seed "$SEED" --modo prioridade \
  --concurrent-only --requests "${PRIORITY_REQUESTS:-20}" | tee -a "$OUT/service-sqlite.txt"
stop_server
# (e) SPEC 8.4: `ruptura produtos` over the whole book (json to a file), and the same for
# `prioridade`: median, min, max seconds and peak RSS (MB) of RUNS interleaved runs.
python3 bench/timeit.py "$RUNS" \
  "(e)_produtos_independente" "$BIN produtos --db sqlite://$DB --today $TODAY --format json --output $OUT/produtos.json" \
  "(e)_produtos_prioridade" "$BIN produtos --db sqlite://$DB --today $TODAY --modo prioridade --format json --output $OUT/produtos-p.json" |
  tee -a "$OUT/service-sqlite.txt"

if [ "$WITH_PG" = 1 ]; then
  psql "$PG_URL/postgres" -X -q -c 'select 1' >/dev/null 2>&1 ||
    { echo "PostgreSQL at $PG_URL does not answer" >&2; exit 1; }
  PGDB=ruptura_bench_service
  export PGOPTIONS='--client-min-messages=warning'
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" -c "CREATE DATABASE $PGDB" >/dev/null
  $BIN import --db "$PG_URL/$PGDB" "$DATA" >/dev/null 2>&1
  psql "$PG_URL/$PGDB" -X -q -c 'VACUUM ANALYZE' >/dev/null
  echo
  echo "== service on PostgreSQL ($PG_URL/$PGDB), $RUNS runs; uptime:$(uptime | sed 's/.*load/ load/')"
  start_server "$PG_URL/$PGDB" "$OUT/service-server.log"
  $CLIENT --url "http://127.0.0.1:$PORT" --db "$PG_URL/$PGDB" --today "$TODAY" --runs "$RUNS" --seed "$SEED" \
    --median-out "$OUT/a-pg.txt" |
    tee "$OUT/service-pg.txt"
  stop_server

  echo
  echo "== the seed's stack (Python, SQLAlchemy ORM, 5 threads) on the same 1,000 orders, PostgreSQL"
  VENV="$OUT/venv"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -c 'import sqlalchemy, psycopg2' 2>/dev/null ||
    "$VENV/bin/pip" install -q 'sqlalchemy>=2,<3' 'psycopg2-binary>=2.9,<3'
  YRUNS=$(( RUNS < 3 ? RUNS : 3 ))
  read -r _ y_med y_min y_max y_n y_q < <("$VENV/bin/python" bench/seed_yardstick.py "$PG_URL/$PGDB" \
    "$OUT/sample-orders.txt" "$TODAY" "$YRUNS")
  python3 - "$y_med" "$y_min" "$y_max" "$y_n" "$y_q" "$(cat "$OUT/a-sqlite.txt")" "$(cat "$OUT/a-pg.txt")" <<'PY' |
import sys
med, lo, hi, n, q, a_sqlite, a_pg = sys.argv[1:]
med, lo, hi, n, q, a_sqlite, a_pg = float(med), float(lo), float(hi), int(n), float(q), float(a_sqlite), float(a_pg)
print(f"seed's stack: median {med:.2f} s (min {lo:.2f}, max {hi:.2f}) for {n} orders, "
      f"{med * 1000 / n:.1f} ms per order, {q:.1f} queries per order")
print(f"ratio seed's stack / (a) on PostgreSQL: {med / a_pg:.0f}x;  on SQLite: {med / a_sqlite:.0f}x (target: 100x)")
PY
    tee "$OUT/service-seed-stack.txt"
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null
fi
