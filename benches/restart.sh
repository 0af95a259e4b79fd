#!/usr/bin/env bash
# End-to-end start-up bench: cold start (empty state) and warm restart (state database filled)
# of the real release daemon on N generated articles, each timed from process start to the
# first 200 from /healthz (first index complete, feeds served). Medians of RUNS runs.
#
#   cargo build --release && benches/restart.sh 100000 [RUNS]
#   SEEDFEED_BIN=/path/to/other/seedfeed benches/restart.sh 100000   # another build
#
# The corpus is deterministic (benches/gen_corpus.py) and kept in target/bench-corpus-N.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
runs="${2:-3}"
bin="${SEEDFEED_BIN:-target/release/seedfeed}"
corpus="target/bench-corpus-$n"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -d "$corpus" ] || python3 benches/gen_corpus.py "$n" "$corpus"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the daemon on a fresh port; sets `elapsed` to the seconds until /healthz answers 200
# and `rss_kb` to its resident memory then.
start() {
  local p t0
  p="$(port)"
  t0="$(date +%s.%N)"
  "$bin" serve --seeds "$corpus" --state-dir "$work/state" --listen "127.0.0.1:$p" \
    >/dev/null 2>"$work/log" &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$p/healthz"; do
    kill -0 "$pid" 2>/dev/null || { echo "seedfeed exited:" >&2; cat "$work/log" >&2; exit 1; }
    sleep 0.01
  done
  elapsed="$(echo "$(date +%s.%N) - $t0" | bc)"
  rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
}

stop() { kill -TERM "$pid"; wait "$pid" || true; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cold=(); warm=()
for _ in $(seq "$runs"); do
  rm -rf "$work/state"
  start; cold+=("$elapsed"); cold_rss="$rss_kb"; stop
  start; warm+=("$elapsed"); warm_rss="$rss_kb"; stop
done
printf 'articles: %s  runs: %s\n' "$n" "$runs"
printf 'cold start (empty state) : median %.2f s  (%s)\n' "$(printf '%s\n' "${cold[@]}" | median)" "${cold[*]}"
printf 'warm restart (state kept): median %.2f s  (%s)\n' "$(printf '%s\n' "${warm[@]}" | median)" "${warm[*]}"
printf 'resident memory when ready: cold %s MiB, warm %s MiB\n' "$((cold_rss / 1024))" "$((warm_rss / 1024))"
