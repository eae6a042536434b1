# Helpers the benchmark scripts share: timestamped progress, background
# processes stopped on exit, and waiting for a server to answer.

log() { printf '\n== %s: %s\n' "$(date +%H:%M:%S)" "$*"; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_for() { # url, what; up to $WAIT_TENTHS tenths of a second (600)
  for _ in $(seq 1 "${WAIT_TENTHS:-600}"); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not answer at $1" >&2
  exit 1
}
