#!/usr/bin/env bash
# Go micro-benchmarks of Tandem's hot paths (bench/gobench) with -benchmem:
# RESP parsing, reply encoding, keyspace get/set, dispatch through the
# command engine, and an embedded server driven over TCP. There is no Redis
# figure for these; rows carry ns/op with B/op and allocs/op in the note.
#
# Environment: BENCH_GO_FILTER (a -bench regexp, default .),
# BENCH_GO_TIME (-benchtime, default 1s, quick 2000x); see lib.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null 2>&1 || die "go not found on PATH"

FILTER=${BENCH_GO_FILTER:-.}
short=()
if [ "$BENCH_QUICK" = 1 ]; then
  BT=${BENCH_GO_TIME:-2000x}
  short=(-test.short)
else
  BT=${BENCH_GO_TIME:-1s}
fi

(cd "$ROOT" && go test -c -o "$WORK/gobench.test" ./bench/gobench) || die "compiling bench/gobench failed"
raw=$WORK/gobench.txt
(cd "$WORK" && timeout 1800 ./gobench.test -test.run '^$' -test.bench "$FILTER" -test.benchmem \
  -test.benchtime "$BT" "${short[@]}") | tee "$raw" >&2 || die "go benchmarks failed"
out_dir=$(dirname "$BENCH_RESULTS_CSV")
cp "$raw" "$out_dir/gobench.txt"

# Lines look like:
#   BenchmarkX-2   1000   123.4 ns/op   12 B/op   1 allocs/op   [value unit]...
# Benchmarks sort of like redis-benchmark tests, so keep their order.
table=$WORK/gobench.md
{
  echo "| benchmark | ns/op | B/op | allocs/op | other |"
  echo "| --- | ---: | ---: | ---: | --- |"
} >"$table"
while read -r name _iters rest; do
  [[ $name == Benchmark* ]] || continue
  name=${name#Benchmark}
  name=${name%-[0-9]*}
  ns="" bop="" aop="" other=""
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $rest
  while [ $# -ge 2 ]; do
    case $2 in
      ns/op) ns=$1 ;;
      B/op) bop=$1 ;;
      allocs/op) aop=$1 ;;
      *) other+="$1 $2 " ;;
    esac
    shift 2
  done
  record "$name" "time per op" ns/op lower "-" "$ns" "B/op=${bop:-?}; allocs/op=${aop:-?}${other:+; ${other% }}"
  echo "| $name | $ns | ${bop:-} | ${aop:-} | ${other% } |" >>"$table"
done <"$raw"

cp "$table" "$out_dir/gobench.md"
cat "$table"
