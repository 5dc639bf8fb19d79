#!/usr/bin/env bash
# Failover benchmark (issue 14): a Redis job of 3,000 orders (the first 3,000 of the seeded scale
# set) with 3 `ruptura worker` processes, timed from POST /api/ruptura/jobs to its `concluido`
# event, without and with one worker killed (`kill -9`) while it holds a batch. The kill happens
# as soon as that worker has a pending message of the stream (XPENDING), so a batch really is
# lost in its hands and must be taken over after the visibility timeout
# (VISIBILIDADE_SEGUNDOS, default 5). Each run also checks the promise of SPEC 5: every order has
# exactly one result, and the event stream never sends an order twice nor lowers the progress.
#
#   bash bench/failover.sh            # RUNS=3; VISIBILIDADE=5 BATCH=20 ORDERS=3000
#
# Needs Redis at REDIS_URL (default redis://127.0.0.1:6379; keys under a private prefix, deleted
# at the end), curl, python3, redis-cli. Times are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SEED=${SEED:-42}
ORDERS=${ORDERS:-3000}
BATCH=${BATCH:-20}
VISIBILIDADE=${VISIBILIDADE:-5}
TODAY=2026-03-02
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PREFIX="ruptura-failover-$$:"
PORT=${PORT:-18437}

. bench/lib.sh
need_redis
build_release
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

target/release/examples/generate scale "$SEED" "$WORK/csv" >/dev/null
DB="sqlite://$WORK/bench.db"
$BIN import --db "$DB" "$WORK/csv" >/dev/null 2>&1
export DATABASE_URL="$DB" RUST_LOG=warn REDIS_URL REDIS_PREFIX=$PREFIX NUM_WORKERS=1 \
  VISIBILIDADE_SEGUNDOS=$VISIBILIDADE

$BIN serve --bind "127.0.0.1:$PORT" --queue redis >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.05
done

# The job body: the first $ORDERS orders of the book, in the list's order.
python3 - "$PORT" "$ORDERS" "$BATCH" "$TODAY" > "$WORK/body.json" <<'PY'
import json, sys, urllib.request
port, n, batch, today = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
orders, page = [], 1
while len(orders) < n:
    url = f"http://127.0.0.1:{port}/api/carteira/pedidos?por_pagina=1000&pagina={page}"
    rows = json.load(urllib.request.urlopen(url))["pedidos"]
    if not rows:
        break
    orders += [r["num_pedido"] for r in rows]
    page += 1
print(json.dumps({"pedidos": orders[:n], "tamanho_lote": batch, "data_base": today}))
PY

start_workers() {
  WPIDS=()
  for i in 1 2 3; do
    $BIN worker --nome "fo-$i" >/dev/null 2>&1 & WPIDS+=($!); PIDS+=($!)
  done
  sleep 1
}
stop_workers() {
  kill -9 "${WPIDS[@]}" 2>/dev/null || true
  wait "${WPIDS[@]}" 2>/dev/null || true
}

# Kills worker fo-1 (its consumer fo-1-0; kill -9) as soon as it holds a pending batch; prints when it did.
kill_when_holding() {
  local victim=$1
  for _ in $(seq 1 2000); do
    if [ "$(redis-cli -u "$REDIS_URL" xpending "${PREFIX}lotes" ruptura-workers - + 10 fo-1-0 | wc -l)" -gt 0 ]; then
      kill -9 "$victim"
      echo killed
      return
    fi
    sleep 0.002
  done
  echo "not-killed"
}

# One job: prints "seconds killed?"; checks one result per order and a monotone event stream.
one_job() {
  local kill=$1 start end id k=none
  start=$(date +%s.%N)
  id=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/ruptura/jobs" \
        -H 'content-type: application/json' --data @"$WORK/body.json" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  if [ "$kill" = 1 ]; then
    kill_when_holding "${WPIDS[0]}" > "$WORK/killed.txt" &
  fi
  curl -sfN --max-time 300 "http://127.0.0.1:$PORT/api/ruptura/jobs/$id/eventos" -o "$WORK/sse.txt"
  end=$(date +%s.%N)
  if [ "$kill" = 1 ]; then wait; k=$(cat "$WORK/killed.txt"); fi
  python3 - "$WORK/sse.txt" "$ORDERS" <<'PY'
import json, sys
seen, last, final = set(), -1, None
event = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("event: "):
        event = line[7:]
    elif line.startswith("data: ") and event == "lote":
        d = json.loads(line[6:])
        for num in d["resultados"]:
            assert num not in seen, f"order {num} sent twice"
            seen.add(num)
        assert d["processados"] >= last, "progress went back"
        last = d["processados"]
    elif line.startswith("data: ") and event in ("concluido", "falhou"):
        final = event
assert final == "concluido", f"job ended with {final}"
assert len(seen) == int(sys.argv[2]), f"{len(seen)} results for {sys.argv[2]} orders"
PY
  echo "$(python3 -c "print($end - $start)") $k"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

start_workers
one_job 0 >/dev/null   # warm-up
plain=()
for _ in $(seq 1 "$RUNS"); do read -r t _ < <(one_job 0); plain+=("$t"); done
stop_workers

killed=()
for _ in $(seq 1 "$RUNS"); do
  start_workers
  read -r t k < <(one_job 1)
  [ "$k" = killed ] || echo "(the victim never held a batch in this run)" >&2
  killed+=("$t")
  stop_workers
done

echo "Job Redis de $ORDERS pedidos, lotes de $BATCH, 3 workers, VISIBILIDADE_SEGUNDOS=$VISIBILIDADE; $(nproc) núcleos"
printf 'sem kill:              %s  mediana %.3f s\n' "${plain[*]}" "$(printf '%s\n' "${plain[@]}" | median)"
printf 'um worker morto (-9):  %s  mediana %.3f s\n' "${killed[*]}" "$(printf '%s\n' "${killed[@]}" | median)"
echo "(cada execução conferiu: um resultado por pedido, nenhum pedido repetido no stream, progresso nunca volta)"
