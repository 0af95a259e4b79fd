#!/bin/sh
# Install seedfeed as a systemd service on a system without the Debian package (on Debian
# and Ubuntu: cargo deb && apt install ./target/debian/seedfeed_*.deb). Run as root from a
# clone of the repository:
#
#   sh deploy/install.sh [BINARY]
#
# BINARY defaults to target/release/seedfeed (cargo build --release). Installs:
#   /usr/local/bin/seedfeed
#   /etc/systemd/system/seedfeed.service, /etc/systemd/system/seedfeed.socket
#                                        (the package's units, with /usr/local paths)
#   /etc/seedfeed/seedfeed.toml          (never overwrites a changed one)
#   /usr/local/share/doc/seedfeed/       (README.md, deploy.md)
#   /usr/local/share/man/man1/, completions (when target/release/assets/ is there)
#   /var/lib/seedfeed/seeds/             (the articles folder, mode 0755)
# The state database is in /var/lib/seedfeed/state (systemd makes it). Versions before 0.2
# kept it in /var/lib/seedfeed itself: it is moved there, with the service stopped.
# DESTDIR=/some/dir installs below that folder instead of / (no root needed, no
# systemctl), e.g. to inspect or package the result.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")
destdir=${DESTDIR:-}
destdir=${destdir%/}

bin=${1:-$repo/target/release/seedfeed}

die() {
    printf 'install.sh: error: %s\n' "$*" >&2
    exit 1
}

[ $# -le 1 ] || die "usage: [DESTDIR=DIR] $0 [BINARY]"
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
    die "no executable at $bin (build it with 'cargo build --release' or pass its path)"
fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (or set DESTDIR=DIR to install into a folder)"
fi
for f in seedfeed.service seedfeed.socket seedfeed.toml README.md; do
    [ -f "$here/$f" ] || die "missing $here/$f"
done

# Binary and units: always replaced (install(1) writes a new file, so a running
# seedfeed keeps its old binary until it is restarted).
install -d -m 0755 "$destdir/usr/local/bin" "$destdir/etc/systemd/system" \
    "$destdir/usr/local/share/doc/seedfeed"
install -m 0755 "$bin" "$destdir/usr/local/bin/seedfeed"
sed -e 's|/usr/bin/seedfeed|/usr/local/bin/seedfeed|' -e 's|/usr/share/doc/|/usr/local/share/doc/|g' \
    "$here/seedfeed.service" >"$destdir/etc/systemd/system/seedfeed.service"
sed -e 's|/usr/share/doc/|/usr/local/share/doc/|g' \
    "$here/seedfeed.socket" >"$destdir/etc/systemd/system/seedfeed.socket"
chmod 0644 "$destdir/etc/systemd/system/seedfeed.service" "$destdir/etc/systemd/system/seedfeed.socket"
install -m 0644 "$repo/README.md" "$destdir/usr/local/share/doc/seedfeed/README.md"
install -m 0644 "$here/README.md" "$destdir/usr/local/share/doc/seedfeed/deploy.md"
# Man pages and completion scripts, which the build writes beside the binary (build.rs).
assets=$(dirname -- "$bin")/assets
if [ -d "$assets" ]; then
    install -d -m 0755 "$destdir/usr/local/share/man/man1" \
        "$destdir/usr/local/share/bash-completion/completions" \
        "$destdir/usr/local/share/zsh/site-functions" "$destdir/usr/local/share/fish/vendor_completions.d"
    install -m 0644 "$assets"/*.1.gz "$destdir/usr/local/share/man/man1/"
    install -m 0644 "$assets/seedfeed.bash" "$destdir/usr/local/share/bash-completion/completions/seedfeed"
    install -m 0644 "$assets/_seedfeed" "$destdir/usr/local/share/zsh/site-functions/"
    install -m 0644 "$assets/seedfeed.fish" "$destdir/usr/local/share/fish/vendor_completions.d/"
    echo "installed the man pages (man seedfeed) and bash, zsh and fish completions"
fi
echo "installed $destdir/usr/local/bin/seedfeed"
echo "installed $destdir/etc/systemd/system/seedfeed.service and seedfeed.socket"

# Configuration: world-readable (the service reads it as a transient user); an existing
# file is the administrator's and is never overwritten.
conf=$destdir/etc/seedfeed/seedfeed.toml
install -d -m 0755 "$destdir/etc/seedfeed"
if [ ! -e "$conf" ]; then
    install -m 0644 "$here/seedfeed.toml" "$conf"
    echo "installed $conf (edit it: seeds.dir, server.base_url, feed.title ...)"
elif cmp -s "$conf" "$here/seedfeed.toml"; then
    echo "kept $conf (identical to the shipped one)"
else
    echo "kept $conf: it differs from the shipped example, which was NOT installed."
    echo "  compare: diff -u $conf $here/seedfeed.toml"
fi

# State of versions before 0.2: StateDirectory=seedfeed made /var/lib/seedfeed a link to
# /var/lib/private/seedfeed, which held state.redb. It becomes /var/lib/private/seedfeed/state
# (StateDirectory=seedfeed/state), so that /var/lib/seedfeed is a plain folder again.
old_link=$destdir/var/lib/seedfeed
private=$destdir/var/lib/private/seedfeed
if [ -L "$old_link" ] && [ -d "$private" ] && [ ! -e "$private/state" ]; then
    if [ -z "$destdir" ] && [ -d /run/systemd/system ] && systemctl is-active --quiet seedfeed.service; then
        systemctl stop seedfeed.service
        echo "stopped seedfeed.service to move its state (start it again below)"
    fi
    mv "$private" "$private.moving"
    install -d -m 0755 "$private"
    mv "$private.moving" "$private/state"
    rm "$old_link"
    echo "moved the state database to $private/state (ids and first-seen dates kept)"
fi

# Articles folder: readable by everyone, writable by root (or whoever you chown it to).
install -d -m 0755 "$destdir/var/lib/seedfeed" "$destdir/var/lib/seedfeed/seeds"
echo "created $destdir/var/lib/seedfeed/seeds (put world-readable .txt/.md files here)"

if [ -n "$destdir" ]; then
    echo "DESTDIR set: systemctl not run."
    exit 0
fi

# Only when systemd is the running init (not in a container or chroot without it).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    echo "ran systemctl daemon-reload"
    if systemctl is-active --quiet seedfeed.service; then
        echo "seedfeed.service is running the old binary: systemctl restart seedfeed.service"
    fi
else
    echo "systemd is not running here: run 'systemctl daemon-reload' once it is."
fi

cat <<'EOF'

Next:
  1. edit /etc/seedfeed/seedfeed.toml
  2. either serve on [server] listen (default 127.0.0.1:8080):
       systemctl enable --now seedfeed.service
     or let systemd listen on port 80 (see seedfeed.socket) and start seedfeed on demand:
       systemctl enable --now seedfeed.socket
  3. systemctl status seedfeed.service; journalctl -u seedfeed.service -f
EOF
