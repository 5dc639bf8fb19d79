#!/usr/bin/env bash
# Checks that .ci/run cannot land red: it runs .ci/run with a fake `cargo` first on PATH whose
# `test` fails (every other cargo command succeeds at once) and a browser runner that is never
# reached, and expects a non-zero exit before the "ok" step. Run by .ci/run itself; the nested
# run sets RUPTURA_CI_SELFCHECK so it does not check itself again.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fake="$(mktemp -d)"
trap 'rm -rf "$fake"' EXIT
cat >"$fake/cargo" <<'SH'
#!/usr/bin/env bash
if [ "${1:-}" = test ]; then echo "fake cargo: test failed" >&2; exit 101; fi
exit 0
SH
chmod +x "$fake/cargo"
log="$fake/log"
set +e
PATH="$fake:$PATH" RUPTURA_CI_SELFCHECK=1 bash "$repo/.ci/run" >"$log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 0 ] || grep -q '^==> ok' "$log"; then
  echo "FAIL: .ci/run exited $rc with a cargo whose test fails; its output:" >&2
  cat "$log" >&2
  exit 1
fi
if grep -q 'testes no navegador' "$log"; then
  echo "FAIL: .ci/run went on to the browser tests after cargo test failed" >&2
  exit 1
fi
echo "ok: .ci/run exits $rc when cargo test fails"
