#!/usr/bin/env bash
# Tandem vs Redis benchmark suite: the one entry point.
#
#   bench/run.sh [--quick] [--rounds N] [--pin] [CASE...]
#
# CASE is any of: throughput latency memory replication wait hll cmds17 streams tracking
# scripting persistence dumprestore tls maxmemory gobench lazyfree profile (default: all, in that
# order). --quick is a smoke mode (tiny
# request counts, 10,000 keys) that finishes in about a minute; it checks
# that the scripts work, not the figures. --rounds sets the number of
# alternated Redis/Tandem runs per figure (default 2, quick 1). --pin puts
# the servers on CPU 1 and the clients on CPU 0 (taskset).
#
# Builds bin/tandem from this checkout, takes redis-server, redis-cli and
# redis-benchmark from PATH, and writes everything to
# bench/results/<timestamp>/ (results.csv, results.md, one log per case,
# profiles); bench/results/latest points at the last run. Exits non-zero
# only when a script fails, never because of a figure.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ALL=(throughput latency memory replication wait hll cmds17 streams tracking scripting persistence dumprestore tls maxmemory gobench lazyfree profile)

usage() {
  sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

quick=0
cases=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --rounds)
      [ $# -ge 2 ] || usage 2
      export BENCH_ROUNDS=$2
      shift
      ;;
    --rounds=*) export BENCH_ROUNDS=${1#*=} ;;
    --pin) export BENCH_PIN=1 ;;
    -h | --help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage 2 ;;
    *)
      ok=0
      for c in "${ALL[@]}"; do [ "$c" = "$1" ] && ok=1; done
      [ "$ok" = 1 ] || { echo "unknown case $1 (cases: ${ALL[*]})" >&2; exit 2; }
      cases+=("$1")
      ;;
  esac
  shift
done
[ ${#cases[@]} -gt 0 ] || cases=("${ALL[@]}")
export BENCH_QUICK=$quick

for bin in redis-server redis-cli redis-benchmark go; do
  command -v "$bin" >/dev/null 2>&1 || { echo "$bin not found on PATH" >&2; exit 1; }
done

stamp=$(date +%Y%m%d-%H%M%S)
[ "$quick" = 0 ] || stamp+=-quick
OUT=$BENCH_DIR/results/$stamp
mkdir -p "$OUT"
export BENCH_RESULTS_CSV=$OUT/results.csv
export TANDEM_BIN=$ROOT/bin/tandem

# shellcheck disable=SC2034 # read by lib.sh
CASE_NAME=run
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_DIR/lib.sh"

log "building $TANDEM_BIN"
(cd "$ROOT" && go build -o "$TANDEM_BIN" ./cmd/tandem) || die "go build failed"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "mode: $([ "$quick" = 1 ] && echo quick || echo full); rounds: $BENCH_ROUNDS; pin: ${BENCH_PIN:-0}"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "redis: $("$REDIS_SERVER" --version | head -n 1)"
  echo "redis-benchmark: $(command -v redis-benchmark)"
  echo "go: $(go version)"
  rev=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ -n "$(cd "$ROOT" && git status --porcelain 2>/dev/null)" ]; then rev+=" (with uncommitted changes)"; fi
  echo "tandem: $rev"
} >"$OUT/meta.txt"
cat "$OUT/meta.txt" >&2

failed=()
for c in "${cases[@]}"; do
  log "== case $c"
  t0=$(date +%s)
  # Run in the background and wait, so a TERM to this script reaches the
  # case through the EXIT trap (which stops it, and it stops its servers).
  bash "$BENCH_DIR/$c.sh" > >(tee "$OUT/$c.log") 2>&1 &
  pid=$!
  PIDS+=("$pid")
  rc=0
  wait "$pid" || rc=$?
  forget_pid "$pid"
  if [ "$rc" != 0 ]; then
    failed+=("$c")
    log "case $c FAILED (exit $rc); see $OUT/$c.log"
  else
    log "case $c done in $(($(date +%s) - t0))s"
  fi
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
ln -sfn "$stamp" "$BENCH_DIR/results/latest"
print_table "$BENCH_RESULTS_CSV" >"$OUT/results.md"
echo
echo "== results (ratio = Tandem/Redis; the better column says whether higher or lower figures are better)"
cat "$OUT/results.md"
echo
echo "results: $OUT/results.csv (machine-readable), $OUT/results.md"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED cases: ${failed[*]}" >&2
  exit 1
fi
