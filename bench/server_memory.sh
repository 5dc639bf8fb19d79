#!/usr/bin/env bash
# The server's resident memory across whole-book jobs (issue 14): JOBS jobs posted one after
# the other to `ruptura serve` on the scale set's SQLite database (see bench/scale.sh, which
# makes it), the resident size and peak after each job, then once idle (IDLE seconds, past the
# blocking threads' 10 s keep-alive), with the resident memory split by mapping: mimalloc's
# arena (the Rust heap), glibc's arenas (SQLite's allocations), the rest.
#
#   bench/server_memory.sh                         # JOBS=5 IDLE=12, default settings
#   SLEEP=12 bench/server_memory.sh                # idle between jobs too, resident printed then
#   bench/server_memory.sh MAX_JOBS_CONCLUIDOS=1   # extra environment for the server
#   RESULTADOS=1 bench/server_memory.sh            # also read each job's /resultados (gzip)
#   RUPTURA_BIN=/tmp/other/ruptura bench/server_memory.sh   # another build, for comparisons
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-5}
IDLE=${IDLE:-12}
SLEEP=${SLEEP:-0}
RESULTADOS=${RESULTADOS:-0}
TODAY=2026-03-02
DB=${BENCH_DIR:-/tmp/ruptura-scale}/scale10.db
[ -f "$DB" ] || { echo "falta $DB: rode bench/scale.sh antes" >&2; exit 1; }

. bench/lib.sh
build_release
BIN=${RUPTURA_BIN:-$BIN}
trap stop_server EXIT
start_server "sqlite://$DB" "$(mktemp)" "$@"

mb() { awk -v k="$1:" '$1 == k {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
# Resident MB by mapping: anonymous maps of 1 GiB or more are mimalloc's arenas, 64 MiB
# (aligned, at most) are glibc's arenas, where SQLite allocates.
split() {
  python3 - "$SERVER_PID" <<'PY'
import re, sys
kinds = {}
kind = None
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$", line)
    if m:
        kib = (int(m.group(2), 16) - int(m.group(1), 16)) // 1024
        name = m.group(3).strip()
        if name:
            kind = "files" if name.startswith("/") else name
        elif kib >= 1024 * 1024 - 1:
            kind = "mimalloc"
        elif 60000 <= kib <= 65536:
            kind = "glibc (SQLite)"
        else:
            kind = "other anonymous"
    elif line.startswith("Rss:"):
        kinds[kind] = kinds.get(kind, 0) + int(line.split()[1])
print("  ".join(f"{k} {v / 1024:.0f} MB" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 1024))
PY
}

echo "server on $DB, extra environment: ${*:-none}; resident at start $(mb VmRSS) MB"
for i in $(seq 1 "$JOBS"); do
  start=$(date +%s.%N)
  id=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/ruptura/jobs" -H 'content-type: application/json' \
        -d "{\"data_base\": \"$TODAY\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  curl -sfN --max-time 900 "http://127.0.0.1:$PORT/api/ruptura/jobs/$id/eventos" >/dev/null
  end=$(date +%s.%N)
  printf 'job %d: %.2f s, resident %s MB, peak %s MB\n' "$i" "$(python3 -c "print($end - $start)")" "$(mb VmRSS)" "$(mb VmHWM)"
  if [ "$RESULTADOS" != 0 ]; then
    start=$(date +%s.%N)
    bytes=$(curl -sf --compressed --max-time 900 "http://127.0.0.1:$PORT/api/ruptura/jobs/$id/resultados" | wc -c)
    end=$(date +%s.%N)
    printf '  /resultados: %s bytes in %.2f s, resident %s MB, peak %s MB\n' "$bytes" "$(python3 -c "print($end - $start)")" "$(mb VmRSS)" "$(mb VmHWM)"
  fi
  if [ "$SLEEP" != 0 ]; then
    sleep "$SLEEP"
    echo "  after ${SLEEP} s idle: resident $(mb VmRSS) MB"
  fi
done
echo "after the jobs: $(split)"
sleep "$IDLE"
echo "idle ${IDLE} s after the last job: resident $(mb VmRSS) MB, peak $(mb VmHWM) MB"
echo "  $(split)"
