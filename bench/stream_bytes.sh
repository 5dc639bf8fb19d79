#!/usr/bin/env bash
# Payload of the page's traffic on the scale data set (10,000 orders, seed 42): the bytes of a
# whole-book job's event stream as the page reads it (summaries) and with whole results
# (`?completo=true`, what every `lote` event carried before), and the page's assets and a list
# page with and without gzip.
#
#   bash bench/stream_bytes.sh                       # debug build of the binary
#   BIN=target/release/ruptura bash bench/stream_bytes.sh
#
# Needs curl. Byte counts do not depend on the build profile.
set -euo pipefail

cd "$(dirname "$0")/.."
SEED=${SEED:-42}
PORT=${PORT:-18437}
if [ -z "${BIN:-}" ]; then
  cargo build -q -p ruptura
  BIN=target/debug/ruptura
fi
cargo build -q -p ruptura-datagen --example generate
GEN=target/debug/examples/generate
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$GEN" scale "$SEED" "$WORK/csv" >/dev/null
DB="sqlite://$WORK/bench.db"
"$BIN" migrate --db "$DB" >/dev/null 2>&1
"$BIN" import --db "$DB" "$WORK/csv" >/dev/null 2>&1
RUST_LOG=warn "$BIN" serve --db "$DB" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.05
done
URL="http://127.0.0.1:$PORT"

job=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"data_base": "2026-03-02"}' "$URL/api/ruptura/jobs")
id=$(printf '%s' "$job" | sed -E 's/.*"job_id":"([^"]+)".*/\1/')
total=$(printf '%s' "$job" | sed -E 's/.*"total_pedidos":([0-9]+).*/\1/')
summary=$(curl -sfN "$URL/api/ruptura/jobs/$id/eventos" | wc -c)
whole=$(curl -sfN "$URL/api/ruptura/jobs/$id/eventos?completo=true" | wc -c)
echo "job da carteira inteira ($total pedidos): eventos com resumos $summary bytes; com resultados inteiros (antes) $whole bytes"
for path in /carteira /static/app.js /static/style.css "/api/carteira/pedidos?por_pagina=100" "/api/ruptura/jobs/$id/resultados"; do
  plain=$(curl -sf "$URL$path" | wc -c)
  gz=$(curl -sf -H 'Accept-Encoding: gzip' "$URL$path" | wc -c)
  echo "$path: $plain bytes, gzip $gz bytes"
done
