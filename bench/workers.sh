#!/usr/bin/env bash
# Scale-out benchmark: a whole-book job (the scale data set, 10,000 orders) through the
# in-process queue and through Redis with 1, 2 and 4 `ruptura worker` processes.
#
#   bash bench/workers.sh            # 3 runs per configuration, medians printed
#   RUNS=5 WORKERS="1 2 4" CONSUMERS=1 BATCH=20 bash bench/workers.sh
#
# Needs: a Redis at REDIS_URL (default redis://127.0.0.1:6379; keys under a private prefix,
# deleted at the end), curl, python3. Builds the release binary and the data generator once.
# Times are wall clock from POST /api/ruptura/jobs to the end of the job's event stream
# (the `concluido` event), as a client sees them.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-"1 2 4"}
CONSUMERS=${CONSUMERS:-1}      # NUM_WORKERS of each worker process
BATCH=${BATCH:-20}             # tamanho_lote
SEED=${SEED:-42}
TODAY=2026-03-02
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PREFIX="ruptura-bench-$$:"
PORT=${PORT:-18431}

. bench/lib.sh
need_redis
build_release
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "dados: scale, semente $SEED" >&2
target/release/examples/generate scale "$SEED" "$WORK/csv" >/dev/null
DB="sqlite://$WORK/bench.db"
$BIN migrate --db "$DB" >/dev/null 2>&1
$BIN import --db "$DB" "$WORK/csv" >/dev/null 2>&1
export DATABASE_URL="$DB" RUST_LOG=warn

wait_http() {
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "o servidor não respondeu" >&2; return 1
}

# One job over the whole book: prints "seconds orders batches".
one_job() {
  local body=$1 start end id
  start=$(date +%s.%N)
  id=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/ruptura/jobs" \
        -H 'content-type: application/json' -d "$body" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  curl -sfN --max-time 900 "http://127.0.0.1:$PORT/api/ruptura/jobs/$id/eventos" -o "$WORK/sse.txt"
  end=$(date +%s.%N)
  curl -sf "http://127.0.0.1:$PORT/api/ruptura/jobs/$id" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["estado"] == "concluido", s
print(s["total_pedidos"], s["total_lotes"])' > "$WORK/status.txt"
  grep -q '^event: concluido' "$WORK/sse.txt"
  echo "$(python3 -c "print($end - $start)") $(cat "$WORK/status.txt")"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A MED
NAMES=()
ORDERS=0
BATCHES=0
run_config() {
  local name=$1 body=$2 times=()
  one_job "$body" >/dev/null   # warm-up (page cache, connections)
  for _ in $(seq 1 "$RUNS"); do
    read -r t o b < <(one_job "$body")
    times+=("$t"); ORDERS=$o; BATCHES=$b
  done
  MED[$name]=$(printf '%s\n' "${times[@]}" | median)
  NAMES+=("$name")
  printf '%-28s runs: %s  median %.3f s\n' "$name" "${times[*]}" "${MED[$name]}" >&2
}

JOB="{\"data_base\": \"$TODAY\", \"tamanho_lote\": $BATCH"

# In-process queue: default parallelism (MAX_WORKERS 5) and one batch at a time.
$BIN serve --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & PIDS+=($!)
wait_http
run_config "local (max_workers 5)" "$JOB}"
run_config "local (max_workers 1)" "$JOB, \"max_workers\": 1}"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'

# Redis queue with N worker processes.
export REDIS_URL REDIS_PREFIX=$PREFIX NUM_WORKERS=$CONSUMERS
$BIN serve --bind "127.0.0.1:$PORT" --queue redis >/dev/null 2>&1 & PIDS+=($!)
wait_http
for n in $WORKERS; do
  WPIDS=()
  for i in $(seq 1 "$n"); do
    $BIN worker --nome "bench-$i" >/dev/null 2>&1 & WPIDS+=($!); PIDS+=($!)
  done
  sleep 1
  run_config "redis, $n worker(s) x $CONSUMERS" "$JOB}"
  kill -TERM "${WPIDS[@]}"; wait "${WPIDS[@]}" 2>/dev/null || true
done

echo
echo "Job de livro inteiro: $ORDERS pedidos, $BATCHES lotes de $BATCH; mediana de $RUNS execuções; $(nproc) núcleos"
printf '%-28s %10s %12s %18s\n' configuração "tempo (s)" "pedidos/s" "ms por lote"
for name in "${NAMES[@]}"; do
  t=${MED[$name]}
  python3 -c "import sys; n, t = sys.argv[1], float(sys.argv[2]); print(f'{n:28s} {t:10.3f} {$ORDERS/t:12.0f} {1000*t/$BATCHES:18.2f}')" "$name" "$t"
done
t1=${MED["redis, 1 worker(s) x $CONSUMERS"]:-}
tl=${MED["local (max_workers 1)"]}
if [[ -n "$t1" && "$CONSUMERS" == 1 ]]; then
  python3 -c "print(f'\nsobrecarga por lote (redis 1 worker x 1 - local max_workers 1, ambos um lote por vez): {1000*($t1-$tl)/$BATCHES:.2f} ms')"
fi
