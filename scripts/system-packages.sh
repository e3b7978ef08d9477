#!/usr/bin/env bash
# Install the Debian/Ubuntu packages gated needs. Sourced by scripts/demo and scripts/test.
#   system_packages demo   -> what the demo lane needs
#   system_packages test   -> what the whole test suite needs (real peers included)
set -euo pipefail

BASE_PACKAGES=(python3 python3-venv python3-pip libzbar0 ca-certificates)
# Fonts the plate renderer draws with (Latin and CJK): ANPR tests and the demo video.
FONT_PACKAGES=(fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-roboto-unhinted
               fonts-freefont-ttf fonts-wqy-zenhei fonts-wqy-microhei fonts-noto-cjk
               fonts-droid-fallback)
# GStreamer's RTSP server and x264 (run by Debian's python3): live cameras for tests and
# the demo, which also encodes its video with it (-bad: h264parse, for the pre-encoded video).
RTSP_PACKAGES=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
               gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)
# The demo lane's peers: camera, fonts, serial pty (socat; setpriv is util-linux, in the
# base system). mosquitto is optional for the demo: used when installed, else it runs offline.
DEMO_PACKAGES=("${BASE_PACKAGES[@]}" socat "${RTSP_PACKAGES[@]}" "${FONT_PACKAGES[@]}")
# Real peers (mosquitto, socat ptys, mbpoll), systemd-analyze, and shadow-utils for the
# installer test (passwd: useradd --prefix).
TEST_PACKAGES=("${DEMO_PACKAGES[@]}" systemd sqlite3 mbpoll mosquitto passwd)

_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

system_packages() {
    local wanted=()
    if [ "$1" = test ]; then wanted=("${TEST_PACKAGES[@]}"); else wanted=("${DEMO_PACKAGES[@]}"); fi
    local missing=()
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "installing system packages: ${missing[*]}"
        _as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Run a noisy command quietly: its output is shown only if it fails.
_quietly() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# A virtual environment in .venv with gated installed (extras: "", "demo" or "test").
python_env() {
    local extras="$1"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    _quietly .venv/bin/python -m pip install -q --upgrade pip
    if [ -n "$extras" ]; then
        _quietly .venv/bin/python -m pip install -q -e ".[$extras]"
    else
        _quietly .venv/bin/python -m pip install -q -e .
    fi
}
