#!/usr/bin/env bash
# Load figures of the README's "Garantias sob falhas e carga" (issue 12), measured on a release
# build against `ruptura serve` on SQLite, with crates/cli/examples/bench_load.rs as the client
# (loopback only; every step stops by itself):
#   (1) rajada: 48 requests of the maximum size (MAX_PEDIDOS_POR_REQUISICAO, 20,000 distinct
#       orders each) sent at once to analisar-lote-async over the scale10 book (100,000 orders);
#       the server's resident memory before, at its peak (VmHWM) and 5 s after. A fresh server
#       per run, so the peak is that run's; RUNS runs.
#   (2) sustentado: 32 clients, 270,000 requests (health, analisar-pedido, 20-order batches
#       alternated) or SUSTAINED_SECS seconds, whichever ends first; counts per status class and
#       resident memory after; RUNS runs.
#   (3) tokens: wrong bearer tokens sent back to back for 30 s to a server with API_TOKEN: how
#       many were checked (401) and refused by the failed-token limit (429); RUNS runs.
# Figures are printed (medians by the reader), never asserted.
#
#   bench/load.sh                 # RUNS=3 SEED=42 SUSTAINED_SECS=300
#   CARGO_TARGET_DIR=... bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SEED=${SEED:-42}
SUSTAINED_SECS=${SUSTAINED_SECS:-300}
TODAY=2026-03-02
OUT=${BENCH_DIR:-bench-out}
TARGET=${CARGO_TARGET_DIR:-target}
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
mkdir -p "$OUT"

# RUPTURA_BIN and BENCH_BIN_DIR (holding bench_load and generate) use binaries built before.
if [ -z "${RUPTURA_BIN:-}" ]; then
  cargo build --release -q --workspace --bins --example bench_load --example generate
fi
BIN=${RUPTURA_BIN:-$TARGET/release/ruptura}
EXAMPLES=${BENCH_BIN_DIR:-$TARGET/release/examples}
CLIENT=$EXAMPLES/bench_load
DATA="$OUT/scale10-$SEED"
[ -f "$DATA/carteira_principal.csv" ] || "$EXAMPLES/generate" scale10 "$SEED" "$DATA" >/dev/null
DB="$OUT/load.db"
if [ ! -f "$DB" ]; then
  $BIN import --db "sqlite://$DB" "$DATA" >/dev/null 2>&1
fi
echo "data set: scale10 seed $SEED, $(($(wc -l < "$DATA/carteira_principal.csv") - 1)) order lines; $(nproc) cores"

. bench/lib.sh
trap stop_server EXIT

# Resident memory of the server, in MB: current (VmRSS) or peak (VmHWM).
mem() { awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

echo
echo "== (1) rajada: 48 requests of 20,000 orders at once"
for run in $(seq 1 "$RUNS"); do
  start_server "sqlite://$DB" "$OUT/load-server.log"
  before=$(mem VmRSS)
  result=$($CLIENT --url "http://127.0.0.1:$PORT" --modo rajada --clientes 48 --pedidos 20000 \
    --data-base "$TODAY" --seed "$((SEED + run))")
  peak=$(mem VmHWM)
  sleep 5
  after=$(mem VmRSS)
  echo "run $run: $result"
  echo "run $run: memória do servidor: antes ${before} MB, pico ${peak} MB, 5 s depois ${after} MB"
  stop_server
done

echo
echo "== (2) sustentado: 32 clients, 270,000 requests (or ${SUSTAINED_SECS} s)"
for run in $(seq 1 "$RUNS"); do
  start_server "sqlite://$DB" "$OUT/load-server.log"
  result=$($CLIENT --url "http://127.0.0.1:$PORT" --modo sustentado --clientes 32 \
    --requisicoes 270000 --segundos "$SUSTAINED_SECS" --data-base "$TODAY" --seed "$((SEED + run))")
  echo "run $run: $result"
  echo "run $run: memória do servidor: pico $(mem VmHWM) MB, ao fim $(mem VmRSS) MB"
  stop_server
done

echo
echo "== (3) tokens: wrong tokens for 30 s (API_TOKEN set)"
for run in $(seq 1 "$RUNS"); do
  start_server "sqlite://$DB" "$OUT/load-server.log" API_TOKEN=bench-load-token-secreto
  echo "run $run: $($CLIENT --url "http://127.0.0.1:$PORT" --modo tokens --segundos 30)"
  stop_server
done
