#!/bin/sh
# Check the systemd units offline (no running systemd needed). For CI:
#
#   deploy/check-unit.sh [BINARY]
#
# 1. systemd-analyze verify on seedfeed.service and seedfeed.socket (from UNIT_DIR, default
#    deploy/; a package's installed units, say): any error or warning fails. verify insists
#    that ExecStart= is executable, so the units are checked from a temporary copy whose
#    ExecStart= names BINARY instead of /usr/bin/seedfeed (default: target/release/seedfeed,
#    else target/debug/seedfeed).
# 2. systemd-analyze security --offline=true on the service: prints the overall exposure
#    level and fails above MAX_EXPOSURE (default 1.5; 0.0 is best, 10.0 worst).
# 3. BINARY loads CONFIG (default deploy/seedfeed.toml; seedfeed rejects unknown keys).
# Also checks that a few lines the daemon relies on are present (DynamicUser=yes ...).
# Exits 0 when all pass, 1 otherwise. Needs systemd >= 250 (for --offline and --threshold).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")
max=${MAX_EXPOSURE:-1.5}
units=${UNIT_DIR:-$here}
config=${CONFIG:-$here/seedfeed.toml}

fail() {
    printf 'check-unit: FAIL: %s\n' "$*" >&2
    exit 1
}

if [ $# -ge 1 ]; then
    bin=$1
elif [ -x "$repo/target/release/seedfeed" ]; then
    bin=$repo/target/release/seedfeed
else
    bin=$repo/target/debug/seedfeed
fi
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
    fail "no seedfeed binary at $bin (build it, or pass its path)"
fi
case $bin in
    /*) ;;
    *) bin=$(pwd)/$bin ;;
esac
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (apt-get install systemd)"
# --threshold counts tenths: 2.0 -> 20.
threshold=$(awk -v m="$max" 'BEGIN { if (m !~ /^[0-9]+(\.[0-9])?$/) exit 1; printf "%d", m * 10 + 0.5 }') ||
    fail "MAX_EXPOSURE must look like 2.0, got '$max'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# Same file names (the socket activates the service of the same name), real binary.
for unit in seedfeed.service seedfeed.socket; do
    [ -f "$units/$unit" ] || fail "no $units/$unit"
done
cp "$units/seedfeed.socket" "$tmp/"
sed "s|^ExecStart=/usr/bin/seedfeed |ExecStart=$bin |" "$units/seedfeed.service" >"$tmp/seedfeed.service"
grep -q "^ExecStart=$bin " "$tmp/seedfeed.service" ||
    fail "seedfeed.service: ExecStart= does not start with /usr/bin/seedfeed"

echo "systemd: $(systemd-analyze --version | head -n 1)"

# 0. Lines the daemon's behaviour depends on (the exposure score alone would not notice
#    e.g. DynamicUser= going away: PrivateUsers= keeps it low).
for line in Type=notify NotifyAccess=main DynamicUser=yes StateDirectory=seedfeed/state \
    ConfigurationDirectory=seedfeed NoNewPrivileges=yes CapabilityBoundingSet=; do
    grep -qx "$line" "$tmp/seedfeed.service" || fail "seedfeed.service: missing line $line"
done

# 1. verify. --recursive-errors=no: report our units, not problems of the host's units.
cmd="systemd-analyze verify --man=no --recursive-errors=no $tmp/seedfeed.service $tmp/seedfeed.socket"
echo "+ $cmd"
status=0
# shellcheck disable=SC2086 # $cmd is split on purpose; $tmp has no spaces (mktemp).
out=$($cmd 2>&1) || status=$?
if [ "$status" -ne 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    fail "systemd-analyze verify (exit status $status)"
fi
echo "verify: ok"

# 2. security exposure.
cmd="systemd-analyze security --offline=true --threshold=$threshold --no-pager $tmp/seedfeed.service"
echo "+ $cmd"
status=0
# shellcheck disable=SC2086
out=$($cmd 2>&1) || status=$?
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for seedfeed\.service: \([0-9][0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
    printf '%s\n' "$out" >&2
    fail "no 'Overall exposure level' in the output of systemd-analyze security (exit status $status)"
fi
# Details of what is not hardened (the ✗ lines), for whoever reads the CI log.
printf '%s\n' "$out" | grep '✗' || true
echo "exposure: $level (maximum $max)"
if [ "$status" -ne 0 ] || awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
    fail "exposure level $level is above $max (systemd-analyze exit status $status)"
fi

# 3. the configuration loads.
echo "+ $bin config --config $config"
out=$("$bin" config --config "$config" 2>&1) || {
    printf '%s\n' "$out" >&2
    fail "$config does not load"
}
echo "config: ok"
echo "check-unit: all passed"
