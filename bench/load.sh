#!/usr/bin/env bash
# The national-scale load benchmark (docs/benchmarks.md): a generated
# national directory (150,000 services) imported as a live ORUK feed, a
# caseload of a million people and three million referrals on top, then
# `convene serve` under a mixed workload: a light baseline run (50
# visitors, 60 s) and the full run (500 visitors, 5 minutes), on SQLite and
# on PostgreSQL.
#
#   bench/load.sh                       # both backends, from nothing
#   BACKENDS=sqlite bench/load.sh       # one backend
#   STEPS=prepare bench/load.sh         # only the data
#   STEPS=measure bench/load.sh         # only the load runs, on the data an
#                                       # earlier run left in $WORK
#
# Needs: cargo, curl, psql and a PostgreSQL at $PG_URL (trust auth). The
# load generator runs on the same machine as the server it measures: they
# share the cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/convene-load-bench}
SEED=${SEED:-1}
SERVICES=${SERVICES:-150000}
LOCATIONS=${LOCATIONS:-60000}
ORGANISATIONS=${ORGANISATIONS:-8000}
PEOPLE=${PEOPLE:-1000000}
REFERRALS=${REFERRALS:-3000000}
CLIENTS=${CLIENTS:-500}
SECONDS_=${SECONDS_:-300}
BASELINE_CLIENTS=${BASELINE_CLIENTS:-50}
BASELINE_SECONDS=${BASELINE_SECONDS:-60}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
# How Convene reaches PostgreSQL: over its Unix socket by default. sqlx 0.9.0
# does not set TCP_NODELAY, so a statement larger than one TCP segment
# waits ~40 ms for a delayed ACK over TCP (docs/benchmarks.md);
# PG_CONVENE_URL=$PG_URL/$PG_DB measures over TCP.
PG_SOCKET=${PG_SOCKET:-/var/run/postgresql}
PG_DB=${PG_DB:-convene_load}
FEED_PORT=${FEED_PORT:-8097}
PORT=${PORT:-8094}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release

WAIT_TENTHS=1200 # a server on 3 million referrals takes longer to start
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

if [ -z "${NO_BUILD:-}" ]; then
  log "building release binaries"
  # One at a time: together, shared dependencies would be built twice.
  (cd "$ROOT" && cargo build --release -p convene && cargo build --release -p convene-bench)
fi

mkdir -p "$WORK"
DATA=$WORK/data
if [ ! -f "$DATA/feed.ndjson" ]; then
  log "generating $SERVICES services (seed $SEED)"
  "$BIN/convene-bench" generate --services "$SERVICES" --locations "$LOCATIONS" \
    --organisations "$ORGANISATIONS" --seed "$SEED" --out "$DATA"
fi

# Fixed keys for this benchmark's throwaway data: the caseload generator
# seals with them and the server opens with them.
if [ ! -f "$WORK/keys.env" ]; then
  key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
  printf 'export CONVENE_DATA_KEYS=k1:%s\nexport CONVENE_BLIND_INDEX_KEY=%s\n' "$(key)" "$(key)" > "$WORK/keys.env"
fi
# shellcheck disable=SC1091
. "$WORK/keys.env"

url_for() {
  case "$1" in
    sqlite) echo "sqlite://$WORK/sqlite/convene.db" ;;
    postgres) echo "${PG_CONVENE_URL:-postgres://postgres@localhost/$PG_DB?host=$PG_SOCKET}" ;;
  esac
}

prepare() { # backend
  local backend=$1
  export CONVENE_DATABASE_URL
  CONVENE_DATABASE_URL=$(url_for "$backend")
  rm -rf "${WORK:?}/$backend"
  mkdir -p "$WORK/$backend"
  if [ "$backend" = postgres ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
  fi
  "$BIN/convene" migrate
  "$BIN/convene" import postcodes "$DATA/postcodes.csv" > /dev/null
  log "$backend: importing the directory as a live feed"
  "$BIN/convene-bench" serve-feed --dir "$DATA" --bind "127.0.0.1:$FEED_PORT" &
  local feed=$!
  pids+=("$feed")
  wait_for "http://127.0.0.1:$FEED_PORT/services?per_page=1" "the feed server"
  /usr/bin/time -f "$backend import oruk: %e s %M KB" "$BIN/convene" import oruk \
    "http://127.0.0.1:$FEED_PORT" 2>&1 | grep -v '^warning:' | tail -3 | tee -a "$WORK/results.txt"
  kill "$feed"
  log "$backend: adding $PEOPLE people and $REFERRALS referrals"
  /usr/bin/time -f "$backend caseload: %e s %M KB" "$BIN/convene-bench" caseload \
    --people "$PEOPLE" --referrals "$REFERRALS" --seed "$SEED" \
    --out "$WORK/$backend/credentials.json" 2>&1 | tee -a "$WORK/results.txt"
  if [ "$backend" = sqlite ]; then
    # After a bulk load, as docs/operations.md says: the planner's
    # statistics, with the server stopped (`convene migrate` refreshes them).
    /usr/bin/time -f "sqlite statistics (convene migrate): %e s" "$BIN/convene" migrate 2>&1 \
      | grep -v INFO | tee -a "$WORK/results.txt"
    du -sh "$WORK/sqlite" | tee -a "$WORK/results.txt"
  else
    # After a bulk load, as after any large import: fresh planner
    # statistics and a visibility map (index-only scans), rather than
    # waiting for autovacuum.
    /usr/bin/time -f "postgres vacuum analyze: %e s" \
      psql "$(url_for postgres)" -qc "VACUUM (ANALYZE)" 2>&1 | tee -a "$WORK/results.txt"
    psql "$PG_URL/$PG_DB" -Atc "SELECT 'postgres database: ' || pg_size_pretty(pg_database_size('$PG_DB'))" \
      | tee -a "$WORK/results.txt"
  fi
}

measure() { # backend
  local backend=$1
  export CONVENE_DATABASE_URL
  CONVENE_DATABASE_URL=$(url_for "$backend")
  # One machine sends every request: the per-client limit on public pages
  # would refuse most of them.
  export CONVENE_PUBLIC_REQUESTS_PER_MINUTE=0
  log "$backend: starting convene serve"
  "$BIN/convene" serve --bind "127.0.0.1:$PORT" > "$WORK/$backend/server.log" 2>&1 &
  local server=$!
  pids+=("$server")
  wait_for "http://127.0.0.1:$PORT/readyz" "convene serve"
  local run
  for run in "baseline $BASELINE_CLIENTS $BASELINE_SECONDS" "load $CLIENTS $SECONDS_"; do
    set -- $run
    log "$backend: $1 run, $2 visitors for $3 s"
    {
      echo
      echo "## $backend, $1 run ($(git -C "$ROOT" rev-parse --short HEAD))"
      "$BIN/convene-bench" load --base "http://127.0.0.1:$PORT" --clients "$2" --seconds "$3" \
        --credentials "$WORK/$backend/credentials.json" --queries "$DATA/queries" \
        --server-pid "$server" --out "$WORK/$backend/$1.json" --seed "$SEED"
    } | tee -a "$WORK/results.txt"
  done
  kill -TERM "$server"
  wait "$server" || true
  grep -E "ERROR|panicked" "$WORK/$backend/server.log" | head -5 | tee -a "$WORK/results.txt" || true
}

STEPS=${STEPS:-prepare measure}
for backend in $BACKENDS; do
  case " $STEPS " in *" prepare "*) prepare "$backend" ;; esac
  case " $STEPS " in *" measure "*) measure "$backend" ;; esac
done
log "results appended to $WORK/results.txt"
