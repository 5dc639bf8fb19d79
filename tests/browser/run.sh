#!/usr/bin/env bash
# Browser tests of the /carteira page: Debian's chromium driven by playwright-core against
# `ruptura demo` on temporary databases. Installs what they need (idempotently), builds the
# binary unless RUPTURA_BIN names one, then runs the tests. Screenshots: artifacts/browser/.
#
#   tests/browser/run.sh                              # build target/debug/ruptura, run all
#   RUPTURA_BIN=target/release/ruptura tests/browser/run.sh
#   tests/browser/run.sh --test-name-pattern=filtros  # extra arguments go to node --test
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

if [ ! -x /usr/bin/chromium ]; then
  echo "==> instalando chromium (Debian)"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "==> instalando nodejs e npm (Debian)"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y nodejs npm
fi

echo "==> npm ci (tests/browser)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

if [ -z "${RUPTURA_BIN:-}" ]; then
  echo "==> cargo build -p ruptura"
  (cd "$repo" && cargo build -p ruptura)
  export RUPTURA_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/ruptura"
  case "$RUPTURA_BIN" in /*) ;; *) RUPTURA_BIN="$repo/$RUPTURA_BIN" ;; esac
fi
echo "==> testes no navegador com $RUPTURA_BIN"
mkdir -p "$repo/artifacts/browser"
cd "$here"
exec node --test --test-concurrency=1 "$@" carteira.test.mjs mudancas.test.mjs
