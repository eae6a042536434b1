#!/usr/bin/env bash
# The national-scale directory benchmark (docs/benchmarks.md): generate a
# directory, time Convene's import of it as a live ORUK feed, then load
# Convene's /oruk/services and a PostgreSQL full-text baseline with the same
# queries at 100 concurrent connections.
#
#   bench/directory.sh            # everything, into $WORK
#   REUSE=1 bench/directory.sh    # only the servers and the load runs, on
#                                 # what an earlier run left in $WORK
#
# Needs: cargo, wrk, psql, curl and a PostgreSQL at $PG_URL (trust auth).
# wrk runs on the same machine as the server it measures: they share the
# cores, so the numbers are lower than a separate load machine would see.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/convene-directory-bench}
SEED=${SEED:-1}
SERVICES=${SERVICES:-150000}
LOCATIONS=${LOCATIONS:-60000}
ORGANISATIONS=${ORGANISATIONS:-8000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-100}
THREADS=${THREADS:-2}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
BASELINE_DB=${BASELINE_DB:-convene_bench}
FEED_PORT=${FEED_PORT:-8095}
CONVENE_PORT=${CONVENE_PORT:-8094}
BASELINE_PORT=${BASELINE_PORT:-8096}
# Which servers the load runs measure.
SIDES=${SIDES:-convene baseline}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
rss() { grep -E '^(VmRSS|VmHWM)' "/proc/$1/status" | tr -s ' \t' ' ' | paste -sd' '; }

log "building release binaries"
# Built one at a time: together, their shared dependencies would be built
# with the union of their features, a second copy of each.
(cd "$ROOT" && cargo build --release -p convene && cargo build --release -p convene-bench)

DATA=$WORK/data
export CONVENE_DATABASE_URL="sqlite://$WORK/convene.db"

if [ -z "${REUSE:-}" ]; then
rm -rf "$WORK"
mkdir -p "$WORK"

log "generating $SERVICES services, $LOCATIONS locations (seed $SEED)"
/usr/bin/time -f "generate: %e s %M KB" "$BIN/convene-bench" generate \
  --services "$SERVICES" --locations "$LOCATIONS" --organisations "$ORGANISATIONS" \
  --seed "$SEED" --out "$DATA"

"$BIN/convene" migrate
log "loading postcodes into Convene"
/usr/bin/time -f "import postcodes: %e s %M KB" "$BIN/convene" import postcodes "$DATA/postcodes.csv"

log "serving the feed and importing it into a fresh SQLite Convene"
"$BIN/convene-bench" serve-feed --dir "$DATA" --bind "127.0.0.1:$FEED_PORT" &
feed_pid=$!
pids+=("$feed_pid")
wait_for "http://127.0.0.1:$FEED_PORT/services?per_page=1" "the feed server"
/usr/bin/time -f "import oruk: %e s %M KB" "$BIN/convene" import oruk "http://127.0.0.1:$FEED_PORT" \
  2> >(grep -v '^warning:' >&2)
kill "$feed_pid"
ls -l "$WORK"/convene.db*

log "loading the baseline into PostgreSQL database $BASELINE_DB"
psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $BASELINE_DB" -c "CREATE DATABASE $BASELINE_DB"
/usr/bin/time -f "baseline load: %e s %M KB" "$BIN/convene-bench" baseline load \
  --database-url "$PG_URL/$BASELINE_DB" --dir "$DATA"
fi

log "starting Convene (convene serve --no-worker)"
started=$(date +%s.%N)
"$BIN/convene" serve --no-worker --bind "127.0.0.1:$CONVENE_PORT" >"$WORK/serve.log" 2>&1 &
convene_pid=$!
pids+=("$convene_pid")
wait_for "http://127.0.0.1:$CONVENE_PORT/healthz" "Convene"
echo "Convene answering after $(echo "$(date +%s.%N) - $started" | bc) s"
grep -i "index built" "$WORK/serve.log" || true
echo "Convene memory after start: $(rss "$convene_pid")"

"$BIN/convene-bench" baseline serve --database-url "$PG_URL/$BASELINE_DB" \
  --bind "127.0.0.1:$BASELINE_PORT" &
pids+=("$!")
wait_for "http://127.0.0.1:$BASELINE_PORT/services?search=food" "the baseline"

convene_prefix="/oruk/services?per_page=10&"
baseline_prefix="/services?"

log "checking answers: first 200 variants of each query, both sides"
for kind in text need_age distance; do
  for side in convene baseline; do
    if [ "$side" = convene ]; then port=$CONVENE_PORT prefix=$convene_prefix
    else port=$BASELINE_PORT prefix=$baseline_prefix; fi
    ok=0 empty=0 bad=0
    while read -r query; do
      body=$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$port$prefix$query")
      code=${body##*$'\n'}
      if [ "$code" != 200 ]; then bad=$((bad + 1))
      elif grep -q '"empty":true' <<<"$body"; then empty=$((empty + 1))
      else ok=$((ok + 1)); fi
    done < <(head -n 200 "$DATA/queries/$kind.txt")
    echo "CHECK $kind $side: $ok with results, $empty empty, $bad not 200"
  done
done

run_wrk() { # side kind
  local port prefix
  if [ "$1" = convene ]; then port=$CONVENE_PORT prefix=$convene_prefix
  else port=$BASELINE_PORT prefix=$baseline_prefix; fi
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/bench/rotate.lua" \
    "http://127.0.0.1:$port" -- "$prefix" "$DATA/queries/$2.txt" |
    sed -n 's/^RESULT /RESULT '"$2 $1"' /p'
}

log "warming up (5 s each side, results discarded)"
DURATION_SAVED=$DURATION
DURATION=5s
for side in $SIDES; do run_wrk "$side" text >/dev/null; done
DURATION=$DURATION_SAVED

log "load: $CONNECTIONS connections, $THREADS wrk threads, $DURATION per run"
echo "# $(date -u +%FT%TZ) $(git -C "$ROOT" rev-parse --short HEAD)" >>"$WORK/results.txt"
for kind in text need_age distance; do
  for side in $SIDES; do
    run_wrk "$side" "$kind" | tee -a "$WORK/results.txt"
  done
done
echo "Convene memory after the runs: $(rss "$convene_pid")"
log "done; results in $WORK/results.txt"
