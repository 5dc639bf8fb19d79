#!/usr/bin/env bash
# Scale benchmark (issue 14): the seeded scale set ten times over (100,000 orders, ~500,000
# lines, 20,000 products, 1,000,000 movements; `generate scale10`), imported with
# `ruptura import`, then the whole-book analysis against the raw reads it needs
# (bench/sqlite_raw_reads.sql), with the peak memory of each process. Medians of RUNS runs.
# Generated files and databases go to BENCH_DIR (default /tmp/ruptura-scale), not the repo.
#
#   bench/scale.sh            # RUNS=3 SEED=42 by default; PostgreSQL too when PG_URL answers
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SEED=${SEED:-42}
TODAY=2026-03-02
OUT=${BENCH_DIR:-/tmp/ruptura-scale}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
mkdir -p "$OUT"

. bench/lib.sh
build_release
DATA="$OUT/scale10-$SEED"
[ -f "$DATA/carteira_principal.csv" ] || target/release/examples/generate scale10 "$SEED" "$DATA" >/dev/null
ROWS=$(($(cat "$DATA"/*.csv | wc -l) - 5))
echo "data set: scale10 seed $SEED, $ROWS rows"

DB="$OUT/scale10.db"
echo
echo "== import (SQLite), $ROWS rows"
read -r _ imp_med _ _ imp_rss < <(bench/timeit.py 1 import "rm -f $DB $DB-wal $DB-shm && $BIN import --db $DB $DATA 2>/dev/null")
python3 -c "print(f'import: {$imp_med:.2f} s, {$ROWS/$imp_med:,.0f} rows/s, peak {$imp_rss:.0f} MB')"

echo
echo "== whole-book analysis (SQLite), median of $RUNS"
bench/timeit.py "$RUNS" \
  sqlite3_raw_reads "sqlite3 $DB < bench/sqlite_raw_reads.sql" \
  analyze_json "$BIN analyze --db $DB --today $TODAY --format json --output $OUT/out.json" \
  analyze_json_sem_registro "$BIN analyze --db $DB --today $TODAY --format json --sem-registro --output $OUT/out-nr.json" \
  analyze_table "$BIN analyze --db $DB --today $TODAY --format table --output $OUT/out.txt" \
  analyze_sequencial "$BIN analyze --db $DB --today $TODAY --modo sequencial --format json --output $OUT/out-seq.json" \
  analyze_prioridade "$BIN analyze --db $DB --today $TODAY --modo prioridade --format json --output $OUT/out-pri.json" \
  | tee "$OUT/sqlite.txt" | awk '{printf "%-26s median %.3f s  (min %.3f, max %.3f)  peak %.0f MB\n", $1, $2, $3, $4, $5}'
python3 - "$OUT/sqlite.txt" <<'PY'
import sys
rows = {l.split()[0]: (float(l.split()[1]), float(l.split()[4])) for l in open(sys.argv[1])}
raw = rows["sqlite3_raw_reads"][0]
for k in ("analyze_json", "analyze_json_sem_registro", "analyze_table", "analyze_sequencial", "analyze_prioridade"):
    t, mb = rows[k]
    print(f"{k}: {t / raw:.2f} x the raw reads, {t / 100_000 * 1e6:.1f} us and {mb * 1024 / 100_000:.2f} KB per order")
PY

echo
echo "== whole-book job through the server (SQLite, in-process queue), median of $RUNS"
PORT=${PORT:-18439}
DATABASE_URL="sqlite://$DB" RUST_LOG=warn $BIN serve --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 400); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.05; done
job_times=()
resident=()
for i in $(seq 0 "$RUNS"); do   # run 0 is the warm-up
  start=$(date +%s.%N)
  id=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/ruptura/jobs" -H 'content-type: application/json' \
        -d "{\"data_base\": \"$TODAY\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  curl -sfN --max-time 900 "http://127.0.0.1:$PORT/api/ruptura/jobs/$id/eventos" | grep -c '^event: lote' >/dev/null
  end=$(date +%s.%N)
  [ "$i" -gt 0 ] && job_times+=("$(python3 -c "print($end - $start)")")
  resident+=("$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status")")
done
server_mb=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status")
# What the server keeps resident after each job (the warm-up first): it levels off, above the
# live heap (see the README on the allocator keeping freed pages). Once idle past the blocking
# threads' keep-alive (10 s), their freed memory goes back: what is left is the finished jobs'
# results (kept within MEMORIA_JOBS_MB) and the SQLite page caches.
echo "server resident after each job: ${resident[*]} MB"
sleep 12
echo "server resident when idle (12 s after the last job): $(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status") MB"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
printf 'job: %s  median %s s, server peak %s MB (after %s jobs, results kept by the server)\n' "${job_times[*]}" \
  "$(printf '%s\n' "${job_times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')" \
  "$server_mb" "$((RUNS + 1))"

if psql "$PG_URL/postgres" -X -q -c 'select 1' >/dev/null 2>&1; then
  echo
  echo "== PostgreSQL ($PG_URL), median of $RUNS"
  PGDB=ruptura_scale
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" -c "CREATE DATABASE $PGDB" >/dev/null
  read -r _ pimp _ _ prss < <(bench/timeit.py 1 import "$BIN import --db $PG_URL/$PGDB $DATA 2>/dev/null")
  python3 -c "print(f'import: {$pimp:.2f} s, {$ROWS/$pimp:,.0f} rows/s, peak {$prss:.0f} MB')"
  psql "$PG_URL/$PGDB" -X -q -c 'VACUUM ANALYZE' >/dev/null
  bench/timeit.py "$RUNS" \
    psql_raw_reads "psql $PG_URL/$PGDB -X -q --csv -v today=$TODAY -f bench/pg_raw_reads.sql" \
    analyze_json "$BIN analyze --db $PG_URL/$PGDB --today $TODAY --format json --output $OUT/out-pg.json" \
    analyze_json_sem_registro "$BIN analyze --db $PG_URL/$PGDB --today $TODAY --format json --sem-registro --output $OUT/out-pg-nr.json" \
    analyze_table "$BIN analyze --db $PG_URL/$PGDB --today $TODAY --format table --output $OUT/out-pg.txt" \
    analyze_prioridade "$BIN analyze --db $PG_URL/$PGDB --today $TODAY --modo prioridade --format json --output $OUT/out-pg-pri.json" \
    | tee "$OUT/pg.txt" | awk '{printf "%-26s median %.3f s  (min %.3f, max %.3f)  peak %.0f MB\n", $1, $2, $3, $4, $5}'
  python3 - "$OUT/pg.txt" <<'PY'
import sys
rows = {l.split()[0]: (float(l.split()[1]), float(l.split()[4])) for l in open(sys.argv[1])}
raw = rows["psql_raw_reads"][0]
for k in ("analyze_json", "analyze_json_sem_registro", "analyze_table", "analyze_prioridade"):
    t, mb = rows[k]
    print(f"{k}: {t / raw:.2f} x the raw reads, {t / 100_000 * 1e6:.1f} us and {mb * 1024 / 100_000:.2f} KB per order")
PY
  psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null
else
  echo "(PostgreSQL at $PG_URL does not answer: skipped)"
fi
