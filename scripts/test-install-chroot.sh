#!/usr/bin/env bash
# The installer on a fresh Debian 12 made with debootstrap: the whole path a lane PC takes
# (apt packages, user, venv from PyPI, config, unit enabled), then run again (idempotent),
# then --uninstall and --uninstall --purge. Needs root, debootstrap and the Debian mirror
# and PyPI; takes minutes (see README.md, "Field engineer's page"), so CI runs the quicker DESTDIR-style test
# (tests/field/test_install.py) and this one only with GATED_CHROOT_TEST=1.
#
#   sudo scripts/test-install-chroot.sh [DIR]      # DIR is removed first, kept after
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$(realpath -m "${1:-/tmp/gated-chroot}")"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "apt-get install debootstrap" >&2; exit 1; }

step() { printf '%s  %s\n' "$(date +%T)" "$*"; }
# pip in the chroot trusts what the host trusts (a site's TLS proxy CA, say)
in_root() { chroot "$DIR" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    PIP_CERT=/etc/ssl/host-ca-bundle.crt "$@"; }
cleanup() { umount "$DIR/proc" 2>/dev/null || true; }
trap cleanup EXIT

t0=$(date +%s)
if [ ! -x "$DIR/usr/bin/apt-get" ]; then
    step "debootstrap bookworm (minbase) into $DIR"
    rm -rf "$DIR"
    debootstrap --variant=minbase bookworm "$DIR" "$MIRROR" >/dev/null
fi
t1=$(date +%s)
cp /etc/resolv.conf "$DIR/etc/resolv.conf"
mkdir -p "$DIR/etc/ssl"
cp /etc/ssl/certs/ca-certificates.crt "$DIR/etc/ssl/host-ca-bundle.crt"
mount -t proc proc "$DIR/proc"
rm -rf "$DIR/src" && mkdir -p "$DIR/src"
git -C "$SRC" ls-files -z --cached --others --exclude-standard | (cd "$SRC" && xargs -0 cp --parents -t "$DIR/src")

step "install.sh (first run)"
in_root /src/scripts/install.sh
t2=$(date +%s)
listing() { in_root find /etc/gated /var/lib/gated /etc/systemd/system /usr/share/gated -printf '%p %m %u %g\n' | sort; }
before="$(listing)"
step "install.sh (second run: must change nothing)"
in_root /src/scripts/install.sh
t3=$(date +%s)
[ "$before" = "$(listing)" ] || { echo "second run changed the layout" >&2; exit 1; }
in_root id gated | grep -q dialout && in_root id gated | grep -q video
in_root test -L /etc/systemd/system/multi-user.target.wants/gated.service
in_root /opt/gated/venv/bin/gatectl config check /etc/gated/lane.toml
in_root /opt/gated/venv/bin/gatectl selftest --only store,clock,models --config /etc/gated/lane.toml \
    || true  # the example config points at hardware this chroot does not have
step "uninstall (keeps config and data), then purge"
touch "$DIR/var/lib/gated/keep-me"
in_root /src/scripts/install.sh --uninstall
in_root test -e /var/lib/gated/keep-me -a -e /etc/gated/lane.toml -a ! -e /opt/gated
in_root /src/scripts/install.sh --uninstall --purge
in_root test ! -e /var/lib/gated -a ! -e /etc/gated
! in_root id gated 2>/dev/null
t4=$(date +%s)
echo "debootstrap $((t1 - t0)) s, first install $((t2 - t1)) s, second $((t3 - t2)) s," \
     "uninstall+purge $((t4 - t3)) s: all checks passed"
