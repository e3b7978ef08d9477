#!/usr/bin/env bash
# Install gated on a Debian 12 / Ubuntu 24.04 lane PC (or remove it). Idempotent: running
# it twice gives the same result; an existing /etc/gated/lane.toml is never overwritten.
#
#   sudo scripts/install.sh                 # packages, user, venv, config, data, unit (enabled)
#   sudo scripts/install.sh --uninstall     # remove gated; keep /etc/gated and /var/lib/gated
#   sudo scripts/install.sh --uninstall --purge   # ... and the config, data and gated user
#
# Options:
#   --root DIR      install into DIR instead of / (DESTDIR-style; no apt, unit enabled
#                   with systemctl --root). Also $DESTDIR.
#   --python PY     Python 3.11+ to build the venv with (default /usr/bin/python3)
#   --no-packages   do not apt-get install anything
#   --no-enable     install the unit but do not enable it
#   --start         start (or restart) gated once installed (needs a real lane.toml)
# Extra pip options (an offline wheelhouse, say) can be given in $GATED_PIP_ARGS.
#
# Layout: /opt/gated/venv (the program), /usr/share/gated/drivers (hardware profiles),
# /opt/gated/venv/share/gated/models (ANPR models), /etc/gated/lane.toml (config, 0640
# root:gated), /etc/gated/credentials/ (secrets, 0700 root), /var/lib/gated (data, 0750
# gated:gated), /etc/systemd/system/gated.service. User gated: groups dialout (serial
# ports) and video (USB cameras), no login shell, home /var/lib/gated.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${DESTDIR:-/}"
PYTHON=/usr/bin/python3
PACKAGES=yes
ENABLE=yes
START=no
ACTION=install
PURGE=no
RUNTIME_PACKAGES=(python3 python3-venv libzbar0 ca-certificates)

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
say() { echo "install.sh: $*"; }
die() { echo "install.sh: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT="$2"; shift ;;
        --python) PYTHON="$2"; shift ;;
        --no-packages) PACKAGES=no ;;
        --no-enable) ENABLE=no ;;
        --start) START=yes ;;
        --uninstall) ACTION=uninstall ;;
        --purge) PURGE=yes ;;
        -h|--help) usage 0 ;;
        *) echo "install.sh: unknown option $1" >&2; usage 2 ;;
    esac
    shift
done

ROOT="$(realpath -m "$ROOT")"
R="${ROOT%/}"                    # prefix for paths: "" for /
OPT="$R/opt/gated"
ETC="$R/etc/gated"
DATA="$R/var/lib/gated"
SHARE="$R/usr/share/gated"
UNIT="$R/etc/systemd/system/gated.service"
WANTS="$R/etc/systemd/system/multi-user.target.wants"
[ "$R" = "" ] && [ "$(id -u)" -ne 0 ] && die "run as root (sudo), or give --root DIR"
live_systemd() { [ "$R" = "" ] && [ -d /run/systemd/system ]; }
# shadow-utils work on $ROOT/etc/{passwd,group,shadow} with --prefix
acct() { if [ "$R" = "" ]; then "$@"; else "$@" --prefix "$ROOT"; fi; }
has_user() { grep -q "^$1:" "$R/etc/passwd" 2>/dev/null; }
has_group() { grep -q "^$1:" "$R/etc/group" 2>/dev/null; }

packages() {
    [ "$PACKAGES" = yes ] && [ "$R" = "" ] || return 0
    local wanted=("${RUNTIME_PACKAGES[@]}") missing=()
    # the lane's clock matters (passes, command expiry): chrony unless an NTP client is there
    if ! dpkg-query -W -f='${Status}' systemd-timesyncd 2>/dev/null | grep -q "ok installed"; then
        wanted+=(chrony)
    fi
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing packages: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

user() {
    for g in dialout video; do has_group "$g" || acct groupadd --system "$g"; done
    has_group gated || acct groupadd --system gated
    if has_user gated; then
        acct usermod -a -G dialout,video gated
    else
        acct useradd --system --gid gated --groups dialout,video --home-dir /var/lib/gated \
            --no-create-home --shell /usr/sbin/nologin --comment "gated lane controller" gated
        say "created user gated (groups dialout, video)"
    fi
}

venv() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$PYTHON is older than 3.11: install python3.11 and python3.11-venv, give --python"
    if [ ! -x "$OPT/venv/bin/python" ]; then
        mkdir -p "$OPT"
        "$PYTHON" -m venv "$OPT/venv"
    fi
    # shellcheck disable=SC2086 # GATED_PIP_ARGS is a list of options
    "$OPT/venv/bin/python" -m pip install -q --disable-pip-version-check ${GATED_PIP_ARGS:-} "$SRC"
    install -d -m 0755 "$SHARE" "$OPT/venv/share/gated"
    rm -rf "$SHARE/drivers" && cp -r "$SRC/drivers" "$SHARE/drivers"
    if [ -d "$SRC/models" ]; then
        rm -rf "$OPT/venv/share/gated/models" && cp -r "$SRC/models" "$OPT/venv/share/gated/models"
    fi
    install -m 0644 "$SRC/README.md" "$OPT/README.md"
    [ -d "$SRC/docs" ] && { rm -rf "$OPT/docs"; cp -r "$SRC/docs" "$OPT/docs"; }
    chmod -R u=rwX,go=rX "$OPT" "$SHARE"
}

files() {
    install -d -m 0755 "$ETC"
    chown root:"$(gid_of gated)" "$ETC" 2>/dev/null || true
    if [ ! -e "$ETC/lane.toml" ]; then
        install -m 0640 "$SRC/config/lane.example.toml" "$ETC/lane.toml"
        say "wrote $ETC/lane.toml from the example: edit it, then gatectl config check"
    fi
    chown root:"$(gid_of gated)" "$ETC/lane.toml"
    chmod 0640 "$ETC/lane.toml"
    install -d -m 0700 -o root -g root "$ETC/credentials"
    install -d -m 0750 "$DATA"
    chown "$(uid_of gated):$(gid_of gated)" "$DATA"
    install -d -m 0755 "$(dirname "$UNIT")"
    install -m 0644 "$SRC/systemd/gated.service" "$UNIT"
}

uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$R/etc/passwd"; }
gid_of() { awk -F: -v g="$1" '$1 == g { print $3 }' "$R/etc/group"; }

enable() {
    if live_systemd; then
        systemctl daemon-reload
        [ "$ENABLE" = yes ] && systemctl enable -q gated.service
        [ "$START" = yes ] && systemctl restart gated.service
    elif [ "$ENABLE" = yes ] && command -v systemctl >/dev/null; then
        systemctl --root="$ROOT" enable -q gated.service
    elif [ "$ENABLE" = yes ]; then  # no systemd here (yet): what enable does for WantedBy=
        install -d -m 0755 "$WANTS"
        ln -sfn /etc/systemd/system/gated.service "$WANTS/gated.service"
    fi
    return 0
}

uninstall() {
    if live_systemd; then
        systemctl disable -q --now gated.service 2>/dev/null || true
    elif [ -e "$UNIT" ] && command -v systemctl >/dev/null; then
        systemctl --root="$ROOT" disable -q gated.service 2>/dev/null || true
    fi
    rm -f "$UNIT" "$WANTS/gated.service"
    if live_systemd; then systemctl daemon-reload; fi
    rm -rf "$OPT" "$SHARE"
    if [ "$PURGE" = yes ]; then
        rm -rf "$ETC" "$DATA"
        has_user gated && acct userdel gated
        has_group gated && acct groupdel gated
        say "removed gated, its config, data and user"
    else
        say "removed gated; kept $ETC and $DATA (--purge removes them)"
    fi
}

if [ "$ACTION" = uninstall ]; then
    uninstall
    exit 0
fi
packages
user
venv
files
enable
say "installed gated $("$OPT/venv/bin/gated" --version | awk '{print $2}') into ${ROOT}"
say "next: edit $ETC/lane.toml; gatectl config check; gatectl selftest; systemctl start gated"
