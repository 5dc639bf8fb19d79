# What the bench scripts share; each sources it after `cd` to the repository root.

# Builds the whole workspace, as `cargo build --release --workspace --bins --examples`: building
# one package with -p unifies other features and would rebuild everything for each script.
# Sets BIN.
build_release() {
  cargo build --release -q --workspace --bins --examples
  BIN=target/release/ruptura
}

# Stops unless curl, python3 and redis-cli are here and Redis answers at $REDIS_URL.
need_redis() {
  for tool in curl python3 redis-cli; do
    command -v "$tool" >/dev/null || { echo "falta $tool" >&2; exit 1; }
  done
  redis-cli -u "$REDIS_URL" ping >/dev/null || { echo "Redis não responde em $REDIS_URL" >&2; exit 1; }
}

SERVER_PID=
# Stops the server start_server started, if any.
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

# start_server DB_URL LOG [NAME=value ...]: `$BIN serve` against DB_URL on a free port, with the
# extra environment given, its output in LOG; waits for /health. Sets PORT and SERVER_PID.
start_server() {
  local db=$1 log=$2
  shift 2
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env "$@" RUST_LOG=warn "$BIN" serve --db "$db" --bind "127.0.0.1:$PORT" >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 400); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "the server did not answer; its log:" >&2
  cat "$log" >&2
  exit 1
}
