# shellcheck shell=bash
# Shared helpers for the benchmark case scripts. Sourced, never run.
#
# Every case script sources this file, which:
#   - sets strict mode and finds the repository, the Tandem binary and the
#     Redis tools;
#   - makes a private work directory and installs an EXIT trap that stops
#     every process the script started (and only those) and removes it;
#   - provides start/stop helpers for servers on free ports, redis-cli and
#     redis-benchmark wrappers with timeouts, and result recording.
#
# Environment (all optional; run.sh sets them):
#   BENCH_QUICK=1        smoke mode: tiny request counts and data sets
#   BENCH_ROUNDS=N       A/B rounds per figure (default 2, quick 1)
#   BENCH_RESULTS_CSV    CSV file rows are appended to
#   BENCH_PIN=1          pin servers to CPU 1 and clients to CPU 0 (taskset)
#   BENCH_TIMEOUT=S      upper bound for one redis-benchmark run (default 300)
#   TANDEM_BIN, REDIS_SERVER   binaries to compare

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BENCH_QUICK=${BENCH_QUICK:-0}
if [ "$BENCH_QUICK" = 1 ]; then
  BENCH_ROUNDS=${BENCH_ROUNDS:-1}
else
  BENCH_ROUNDS=${BENCH_ROUNDS:-2}
fi
BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}
TANDEM_BIN=${TANDEM_BIN:-$ROOT/bin/tandem}
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || true)}
REDIS_CLI=${REDIS_CLI:-$(command -v redis-cli || true)}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-$(command -v redis-benchmark || true)}
CASE_NAME=${CASE_NAME:-$(basename "${BASH_SOURCE[1]:-bench}" .sh)}

PIN_SERVER=()
PIN_CLIENT=()
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null 2>&1; then
  PIN_SERVER=(taskset -c 1)
  PIN_CLIENT=(taskset -c 0)
fi

log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "$CASE_NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- processes

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-bench.XXXXXX")
PIDS=()          # every background process this script started and has not reaped
KEEP_WORK=${BENCH_KEEP_WORK:-0}

# forget_pid PID: drop PID from the list (after it was reaped).
forget_pid() {
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# stop_pid PID [SECONDS]: TERM, wait up to SECONDS (default 5), then KILL,
# and reap. Only ever called with PIDs this shell started (they stay zombies
# until reaped, so the PID cannot have been reused by another process).
stop_pid() {
  local pid=$1 secs=${2:-5} i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 20; i++)); do
      # a zombie still answers kill -0; check its state
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then break; fi
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

cleanup() {
  local rc=$? p
  trap - EXIT
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  # keep the servers' logs of a failed run (not of an interrupted one)
  if [ "$KEEP_WORK" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ "$rc" != 143 ]; }; then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------- checks

require_tools() {
  if [ -z "$REDIS_SERVER" ] || [ ! -x "$REDIS_SERVER" ]; then die "redis-server not found on PATH"; fi
  if [ -z "$REDIS_CLI" ] || [ ! -x "$REDIS_CLI" ]; then die "redis-cli not found on PATH"; fi
  if [ -z "$REDIS_BENCHMARK" ] || [ ! -x "$REDIS_BENCHMARK" ]; then die "redis-benchmark not found on PATH"; fi
  if [ ! -x "$TANDEM_BIN" ]; then
    log "building $TANDEM_BIN"
    (cd "$ROOT" && go build -o "$TANDEM_BIN" ./cmd/tandem) || die "go build failed"
  fi
}

# ------------------------------------------------------------------ servers

declare -A SRV_PID=() SRV_PORT=() SRV_DIR=() SRV_KIND=() SRV_ARGS=()
declare -A USED_PORTS=()

port_in_use() {
  local p=$1
  if command -v ss >/dev/null 2>&1; then
    ss -Htan 2>/dev/null | awk -v p=":$p" '$4 ~ p"$" {f=1} END {exit !f}' && return 0
    return 1
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

# free_port: sets FREE_PORT to a port nobody listens on, never 6379, not
# handed out before (not run in a subshell, so the bookkeeping sticks).
FREE_PORT=
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 30000))
    [ "$p" != 6379 ] || continue
    [ -z "${USED_PORTS[$p]:-}" ] || continue
    port_in_use "$p" && continue
    USED_PORTS[$p]=1
    FREE_PORT=$p
    return 0
  done
  die "no free port found"
}

# rcli PORT ARGS...: redis-cli with a timeout, replies without CRs.
rcli() {
  local port=$1
  shift
  timeout 60 "$REDIS_CLI" -h 127.0.0.1 -p "$port" "$@" 2>&1 | tr -d '\r'
}

# info_field PORT SECTION FIELD
info_field() {
  timeout 10 "$REDIS_CLI" -h 127.0.0.1 -p "$1" INFO "$2" 2>/dev/null | tr -d '\r' |
    awk -F: -v f="$3" '$1 == f {print $2; exit}'
}

# wait_ready PORT PID SECONDS: until PING answers PONG (not LOADING) and
# INFO persistence shows loading:0. Fails early if PID exits.
wait_ready() {
  local port=$1 pid=$2 secs=$3 deadline r
  deadline=$(($(date +%s%N) + secs * 1000000000))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    r=$(timeout 2 "$REDIS_CLI" -h 127.0.0.1 -p "$port" PING 2>/dev/null | tr -d '\r' || true)
    if [ "$r" = PONG ] && [ "$(info_field "$port" persistence loading || true)" = 0 ]; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}

# launch_server NAME: start (or restart) the server NAME with the kind, dir
# and arguments it was created with, on its port. Sets SRV_PID[NAME].
launch_server() {
  local name=$1 bin
  # shellcheck disable=SC2206
  local args=(${SRV_ARGS[$name]})
  case ${SRV_KIND[$name]} in
    redis) bin=$REDIS_SERVER ;;
    tandem) bin=$TANDEM_BIN ;;
    *) die "unknown server kind ${SRV_KIND[$name]}" ;;
  esac
  # Equivalent settings for both servers: no persistence, no background
  # save, loopback only, logs to a file in the server's own directory.
  "${PIN_SERVER[@]}" "$bin" --port "${SRV_PORT[$name]}" --bind 127.0.0.1 \
    --save "" --appendonly no --dir "${SRV_DIR[$name]}" --dbfilename dump.rdb \
    --daemonize no --logfile "" "${args[@]}" >>"${SRV_DIR[$name]}/server.log" 2>&1 &
  SRV_PID[$name]=$!
  PIDS+=("${SRV_PID[$name]}")
}

# start_server KIND NAME [EXTRA-DIRECTIVES...]: a fresh server (redis or
# tandem) in its own directory on a free port. Extra directives must not
# contain spaces (they are stored for restarts).
start_server() {
  local kind=$1 name=$2 try
  shift 2
  SRV_KIND[$name]=$kind
  SRV_DIR[$name]=$WORK/$name
  SRV_ARGS[$name]="$*"
  mkdir -p "${SRV_DIR[$name]}"
  for try in 1 2 3 4 5; do
    free_port
    SRV_PORT[$name]=$FREE_PORT
    launch_server "$name"
    if wait_ready "${SRV_PORT[$name]}" "${SRV_PID[$name]}" 30; then
      return 0
    fi
    log "$name did not start on port ${SRV_PORT[$name]} (try $try); log tail:"
    tail -n 5 "${SRV_DIR[$name]}/server.log" >&2 || true
    stop_pid "${SRV_PID[$name]}"
  done
  die "could not start $kind server $name"
}

# stop_server NAME: shut it down (no save) and reap it.
stop_server() {
  local name=$1 pid=${SRV_PID[$1]:-}
  [ -n "$pid" ] || return 0
  timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "${SRV_PORT[$name]}" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  stop_pid "$pid" 10
  SRV_PID[$name]=""
}

# cpu_ticks PID: the process's CPU time so far (utime+stime of every
# thread, in clock ticks of 1/100 s), 0 when gone. The fields are counted
# after the command name's closing parenthesis, which may hold spaces.
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# rss_kb PID: VmRSS in kB (0 when gone).
rss_kb() { awk '/^VmRSS:/ {print $2; f=1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# anon_kb PID: PID's anonymous resident memory (RssAnon: its heap and
# stacks, not the pages of its binary and libraries) in kB.
anon_kb() { awk '/^RssAnon:/ {print $2; f=1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# sample_mem PID: sets MEM_KB to PID's RSS plus the private memory of the
# children its main thread forked (Redis's snapshot child), in kB. Shell
# builtins only, no process started: a sampler running awk and cat every
# 50 ms measurably raised the master's GET p99 it runs beside.
# The processes may go at any moment (a child exits between the two
# reads): a file that cannot be read counts as nothing, never as an error.
sample_mem() {
  local pid=$1 k v _ c kids=()
  MEM_KB=0
  { while read -r k v _; do
    if [ "$k" = VmRSS: ]; then MEM_KB=$v; fi
  done <"/proc/$pid/status"; } 2>/dev/null || true
  { read -r -a kids <"/proc/$pid/task/$pid/children"; } 2>/dev/null || true
  for c in "${kids[@]}"; do
    { while read -r k v _; do
      case $k in Private_Clean: | Private_Dirty:) MEM_KB=$((MEM_KB + v)) ;; esac
    done <"/proc/$c/smaps_rollup"; } 2>/dev/null || true
  done
  return 0
}

# nap SECONDS: sleep without starting a process (read with a timeout on a
# FIFO nobody writes), for samplers that must not disturb what they watch.
nap() {
  if [ -z "${NAP_FD:-}" ]; then
    mkfifo "$WORK/nap.$BASHPID"
    exec {NAP_FD}<>"$WORK/nap.$BASHPID"
  fi
  read -r -t "$1" -u "$NAP_FD" _ || true
}

# settle_rss PID: wait until VmRSS stops changing (two readings 300ms apart,
# 100ms in quick mode, within 0.5%), at most 100 readings; prints the last
# reading in kB.
settle_rss() {
  local pid=$1 a b i gap=0.3
  [ "$BENCH_QUICK" != 1 ] || gap=0.1
  a=$(rss_kb "$pid")
  for ((i = 0; i < 100; i++)); do
    sleep "$gap"
    b=$(rss_kb "$pid")
    if awk -v a="$a" -v b="$b" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(d <= a * 0.005)}'; then
      break
    fi
    a=$b
  done
  echo "$b"
}

# --------------------------------------------------------------- benchmark

# run_benchmark PORT OUT ARGS...: redis-benchmark --csv into OUT (stderr in
# OUT.err). Returns redis-benchmark's status.
run_benchmark() {
  local port=$1 out=$2
  shift 2
  timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" --csv "$@" >"$out" 2>"$out.err"
}

# csv_value FILE TEST COLUMN: a column (by header name) of TEST's row in a
# redis-benchmark --csv output. The row is matched on its first word, so
# "LRANGE_100 (first 100 elements)" is LRANGE_100; LRANGE's LPUSH prefill
# row is skipped.
csv_value() {
  awk -F'","' -v t="$2" -v c="$3" '
    { gsub(/^"|"$/, "") }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 ~ /needed/ { next }
    { split($1, w, " "); if (w[1] == t && (c in col)) { print $(col[c]); exit } }
  ' "$1"
}

# err_text FILE: first line of an error output, made CSV-safe.
err_text() {
  local s
  s=$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | head -n 1 || true)
  [ -n "$s" ] || s="failed"
  s=${s#Error from server: }
  s=${s%%, with args beginning with*}
  clean "$s" | cut -c1-100
}

clean() { printf '%s' "$*" | tr ',\r\n"' ";  '"; }

is_num() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# median V...: median of the numeric arguments (empty when none).
median() {
  [ $# -gt 0 ] || return 0
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
    if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# maxof V...: largest numeric argument.
maxof() {
  [ $# -gt 0 ] || return 0
  printf '%s\n' "$@" | sort -g | tail -n 1
}

# fmt_num V [DECIMALS]: format numbers; pass anything else through.
fmt_num() {
  if is_num "${1:-}"; then awk -v v="$1" -v d="${2:-2}" 'BEGIN {printf "%.*f\n", d, v}'; else echo "${1:-n/a}"; fi
}

now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}'; }

# ------------------------------------------------------------------ results

BENCH_RESULTS_CSV=${BENCH_RESULTS_CSV:-}
if [ -z "$BENCH_RESULTS_CSV" ]; then
  mkdir -p "$BENCH_DIR/results"
  BENCH_RESULTS_CSV=$BENCH_DIR/results/$CASE_NAME-$(date +%Y%m%d-%H%M%S).csv
fi
CSV_HEADER='case,test,metric,unit,better,redis,tandem,ratio,note'
if [ ! -s "$BENCH_RESULTS_CSV" ]; then
  mkdir -p "$(dirname "$BENCH_RESULTS_CSV")"
  echo "$CSV_HEADER" >"$BENCH_RESULTS_CSV"
fi

# rps_pair LABEL N CSVNAME ARGS...: redis-benchmark -c 50 -P 1 -n N ARGS
# against Redis and Tandem, BENCH_ROUNDS rounds alternated; records the
# median requests/s of each under LABEL (CSVNAME: the test's first word in
# redis-benchmark's CSV). A side that fails once is not retried; its error
# goes in the note. With RPS_PAIR_CPU=1 it also records the median of each
# server's CPU time per request (/proc, every thread), steadier than the
# rate on a loaded machine.
rps_pair() {
  local label=$1 n=$2 csvname=$3 side round v r tv note c0 c1 out=$WORK/rps_pair.csv
  shift 3
  local -A vals=([redis]="" [tandem]="") errs=([redis]="" [tandem]="") cpus=([redis]="" [tandem]="")
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for side in redis tandem; do
      [ -z "${errs[$side]}" ] || continue
      c0=$(cpu_ticks "${SRV_PID[$side]}")
      if run_benchmark "${SRV_PORT[$side]}" "$out" -c 50 -P 1 -n "$n" "$@"; then
        c1=$(cpu_ticks "${SRV_PID[$side]}")
        v=$(csv_value "$out" "$csvname" rps)
        if is_num "$v"; then
          vals[$side]+=" $v"
          cpus[$side]+=" $(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {printf "%.2f", (b - a) * 1e4 / n}')"
        else
          errs[$side]="no result: $(err_text "$out.err")"
        fi
      else
        errs[$side]=$(err_text "$out.err")
      fi
    done
  done
  note=""
  [ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
  [ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
  # shellcheck disable=SC2086
  r=$(median ${vals[redis]}) tv=$(median ${vals[tandem]})
  record "$label" "rps n=$n" req/s higher "$(fmt_num "$r" 0)" "$(fmt_num "$tv" 0)" "$note"
  log "$label: redis=${r:-n/a} tandem=${tv:-n/a} $note"
  if [ "${RPS_PAIR_CPU:-0}" = 1 ]; then
    # shellcheck disable=SC2086
    r=$(median ${cpus[redis]}) tv=$(median ${cpus[tandem]})
    record "$label server CPU" "us per request" us lower "${r:-n/a}" "${tv:-n/a}" ""
    log "$label server CPU us/request: redis=${r:-n/a} tandem=${tv:-n/a}"
  fi
}

# record TEST METRIC UNIT BETTER REDIS TANDEM [NOTE]: one result row.
# BETTER is "higher" or "lower"; non-numeric figures (n/a) are kept as is;
# the ratio is Tandem/Redis when both are numbers.
record() {
  local test=$1 metric=$2 unit=$3 better=$4 r=${5:-} t=${6:-} note=${7:-} ratio=n/a
  is_num "$r" || r=${r:-n/a}
  is_num "$t" || t=${t:-n/a}
  if is_num "$r" && is_num "$t"; then
    ratio=$(awk -v r="$r" -v t="$t" 'BEGIN {if (r + 0 == 0) print "n/a"; else printf "%.2f\n", t / r}')
  fi
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$CASE_NAME" "$(clean "$test")" "$(clean "$metric")" \
    "$(clean "$unit")" "$better" "$(clean "$r")" "$(clean "$t")" "$ratio" "$(clean "$note")" >>"$BENCH_RESULTS_CSV"
}

# print_table FILE [CASE]: results as a Markdown table.
print_table() {
  awk -F, -v want="${2:-}" '
    NR == 1 { next }
    want != "" && $1 != want { next }
    {
      n++
      row[n, 1] = $1; row[n, 2] = $2; row[n, 3] = ($4 == "") ? $3 : $3 " [" $4 "]"; row[n, 4] = $5
      row[n, 5] = $6; row[n, 6] = $7; row[n, 7] = $8; row[n, 8] = $9
    }
    END {
      if (n == 0) exit
      split("case|test|metric|better|Redis|Tandem|Tandem/Redis|note", h, "|")
      for (j = 1; j <= 8; j++) w[j] = length(h[j])
      for (i = 1; i <= n; i++) for (j = 1; j <= 8; j++) if (length(row[i, j]) > w[j]) w[j] = length(row[i, j])
      line = "|"; sep = "|"
      for (j = 1; j <= 8; j++) {
        line = line sprintf(" %-*s |", w[j], h[j])
        s = ""; for (k = 0; k < w[j]; k++) s = s "-"
        if (j >= 5 && j <= 7) s = substr(s, 2) ":"
        sep = sep " " s " |"
      }
      print line; print sep
      for (i = 1; i <= n; i++) {
        line = "|"
        for (j = 1; j <= 8; j++) {
          if (j >= 5 && j <= 7) line = line sprintf(" %*s |", w[j], row[i, j])
          else line = line sprintf(" %-*s |", w[j], row[i, j])
        }
        print line
      }
    }' "$1"
}
