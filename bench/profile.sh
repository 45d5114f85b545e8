#!/usr/bin/env bash
# Where does Tandem spend its CPU on SET at -P 1 with 50 connections?
#
# 1. Go's profiler: the embedded-server benchmark (bench/gobench,
#    BenchmarkServer/SET/P1/c50) under -cpuprofile and -memprofile; prints
#    `go tool pprof -top` (flat and cumulative). The profile covers the
#    whole test process, the minimal client goroutines included (their
#    share shows as syscall.Write/Read under benchServer.func1).
# 2. Both real servers under redis-benchmark SET -c 50 -P 1: their CPU time
#    per request (/proc/<pid>/stat, no profiler attached), then, when perf
#    works here, a second run under `perf record -g` (top symbols) and
#    `perf stat` (system calls and context switches per request).
#
# Outputs go next to the results CSV (cpu.prof, pprof-*.txt, perf-*.txt).
# Environment: BENCH_PROFILE_TIME (Go benchtime, default 5s, quick 2000x),
# BENCH_PROFILE_N (redis-benchmark requests per run, default 400000),
# BENCH_NO_PERF=1 (skip perf).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null 2>&1 || die "go not found on PATH"

out_dir=$(dirname "$BENCH_RESULTS_CSV")
if [ "$BENCH_QUICK" = 1 ]; then
  BT=${BENCH_PROFILE_TIME:-2000x}
  PN=${BENCH_PROFILE_N:-20000}
else
  BT=${BENCH_PROFILE_TIME:-5s}
  PN=${BENCH_PROFILE_N:-400000}
fi

# ------------------------------------------------------------ Go pprof
(cd "$ROOT" && go test -c -o "$WORK/gobench.test" ./bench/gobench) || die "compiling bench/gobench failed"
(cd "$WORK" && timeout 600 ./gobench.test -test.run '^$' -test.bench 'BenchmarkServer/^SET$/^P1$/^c50$' \
  -test.benchmem -test.benchtime "$BT" -test.cpuprofile "$out_dir/cpu.prof" \
  -test.memprofile "$out_dir/mem.prof") | tee "$out_dir/pprof-bench.txt" >&2 || die "profiling benchmark failed"
pp() { go tool pprof "$@" "$WORK/gobench.test" 2>/dev/null; }
pp -top -nodecount=25 "$out_dir/cpu.prof" >"$out_dir/pprof-top.txt"
pp -top -cum -nodecount=40 "$out_dir/cpu.prof" >"$out_dir/pprof-top-cum.txt"
pp -top -nodecount=15 -sample_index=alloc_objects "$out_dir/mem.prof" >"$out_dir/pprof-alloc.txt"
echo "== go tool pprof -top (CPU, SET -P 1 -c 50, embedded server + raw TCP clients)"
cat "$out_dir/pprof-top.txt"
echo
echo "== go tool pprof -top -cum (first 40)"
cat "$out_dir/pprof-top-cum.txt"
echo
echo "== allocations (alloc_objects)"
cat "$out_dir/pprof-alloc.txt"

# ------------------------------------------------- real servers, perf
have_perf=1
if [ "${BENCH_NO_PERF:-0}" = 1 ] || ! command -v perf >/dev/null 2>&1 ||
  ! perf record -e cpu-clock -o "$WORK/probe.data" -- true >/dev/null 2>&1; then
  echo "perf is not available here (or BENCH_NO_PERF=1): CPU time only, no perf profiles"
  have_perf=0
fi
require_tools

# cpu_ticks PID: "utime stime" of PID in clock ticks.
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12, $13}' "/proc/$1/stat"; }

declare -A CPU_PER=() RPS=() EV=()
start_server redis redis
start_server tandem tandem
for side in redis tandem; do
  data=$WORK/perf-$side.data
  # warm up, then record the server while redis-benchmark runs
  run_benchmark "${SRV_PORT[$side]}" "$WORK/warm.csv" -c 50 -n 20000 -t set || true
  # CPU time per request from /proc, without perf attached (tracing the
  # system calls makes each one dearer)
  cpu0=$(cpu_ticks "${SRV_PID[$side]}")
  run_benchmark "${SRV_PORT[$side]}" "$WORK/plain.csv" -c 50 -n "$PN" -t set || true
  cpu1=$(cpu_ticks "${SRV_PID[$side]}")
  RPS[$side]=$(csv_value "$WORK/plain.csv" SET rps)
  read -r u0 s0 <<<"$cpu0"
  read -r u1 s1 <<<"$cpu1"
  tck=$(getconf CLK_TCK)
  per=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tck" -v n="$PN" \
    'BEGIN {printf "%.1f us/request (user %.1f + sys %.1f)", (u + s) / t * 1e6 / n, u / t * 1e6 / n, s / t * 1e6 / n}')
  CPU_PER[$side]=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tck" -v n="$PN" 'BEGIN {printf "%.2f", (u + s) / t * 1e6 / n}')
  if [ "$have_perf" = 0 ]; then
    echo "== $side, SET -c 50 -P 1 -n $PN: ${RPS[$side]:-?} req/s, server CPU $per"
    continue
  fi

  timeout 120 perf record -e cpu-clock -F 999 -g -p "${SRV_PID[$side]}" -o "$data" >/dev/null 2>&1 &
  ppid=$!
  PIDS+=("$ppid")
  # count system calls and context switches over the same run
  stat=$WORK/perf-stat-$side.txt
  timeout 120 perf stat -x, -o "$stat" -p "${SRV_PID[$side]}" \
    -e raw_syscalls:sys_enter,sched:sched_switch,syscalls:sys_enter_read,syscalls:sys_enter_write >/dev/null 2>&1 &
  spid=$!
  PIDS+=("$spid")
  sleep 0.5
  run_benchmark "${SRV_PORT[$side]}" "$WORK/perf.csv" -c 50 -n "$PN" -t set || true
  for p in "$ppid" "$spid"; do
    kill -INT "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    forget_pid "$p"
  done
  for ev in raw_syscalls:sys_enter sched:sched_switch syscalls:sys_enter_read syscalls:sys_enter_write; do
    EV[$side,$ev]=$(awk -F, -v e="$ev" -v n="$PN" '$3 == e && $1 ~ /^[0-9]+$/ {printf "%.2f", $1 / n}' "$stat" 2>/dev/null || true)
  done
  rps=$(csv_value "$WORK/perf.csv" SET rps)
  {
    echo "== $side, SET -c 50 -P 1 -n $PN: ${RPS[$side]:-?} req/s and server CPU $per without perf; $rps req/s while recorded"
    echo "-- per request: ${EV[$side,raw_syscalls:sys_enter]:-?} system calls (read ${EV[$side,syscalls:sys_enter_read]:-?}, write ${EV[$side,syscalls:sys_enter_write]:-?}), ${EV[$side,sched:sched_switch]:-?} context switches"
    echo "-- by object"
    perf report -i "$data" --stdio --no-children --sort dso -g none --percent-limit 1 2>/dev/null |
      awk '!/^#/ && NF' | sed 's/[[:space:]]*-[[:space:]]*-[[:space:]]*$//' | head -n 6 || true
    echo "-- self time by symbol"
    perf report -i "$data" --stdio --no-children --sort symbol -g none --percent-limit 0.7 2>/dev/null |
      awk '!/^#/ && NF' | sed 's/[[:space:]]*-[[:space:]]*-[[:space:]]*$//' | head -n 30 || true
  } | tee "$out_dir/perf-$side.txt"
  echo
done
w="SET -c 50 -P 1 n=$PN"
record "$w" "server CPU per request" us lower "${CPU_PER[redis]:-}" "${CPU_PER[tandem]:-}" \
  "utime+stime from /proc; rps redis ${RPS[redis]:-?} tandem ${RPS[tandem]:-?}"
record "$w" "system calls per request" count lower "${EV[redis,raw_syscalls:sys_enter]:-}" "${EV[tandem,raw_syscalls:sys_enter]:-}"
record "$w" "read() per request" count lower "${EV[redis,syscalls:sys_enter_read]:-}" "${EV[tandem,syscalls:sys_enter_read]:-}"
record "$w" "write() per request" count lower "${EV[redis,syscalls:sys_enter_write]:-}" "${EV[tandem,syscalls:sys_enter_write]:-}"
record "$w" "context switches per request" count lower "${EV[redis,sched:sched_switch]:-}" "${EV[tandem,sched:sched_switch]:-}"
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
