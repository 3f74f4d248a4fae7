#!/usr/bin/env bash
# Installs the package built by deb.sh and opens headroom the way a double-click on its menu
# entry does (the desktop entry's Exec line), under Xvfb, then checks that a window of class
# "headroom" appeared and saves a screenshot. Needs root (apt), Xvfb, xdotool, x11-apps and
# imagemagick: apt-get install -y xvfb xdotool x11-apps imagemagick mesa-vulkan-drivers.
#
#   packaging/test-deb.sh dist/headroom_0.1.0_amd64.deb [DISPLAY_NUMBER] [SHOT.png]
set -euo pipefail
deb="${1:?usage: test-deb.sh PACKAGE.deb [DISPLAY_NUMBER] [SHOT.png]}"
display=":${2:-97}"
shot="${3:-/tmp/headroom-from-desktop-entry.png}"

apt-get install -y -qq "$(realpath "$deb")" >/dev/null
entry=/usr/share/applications/headroom.desktop
test -f "$entry" || { echo "test-deb.sh: no desktop entry at $entry" >&2; exit 1; }
test -f /usr/share/icons/hicolor/256x256/apps/headroom.png
command -v desktop-file-validate >/dev/null && desktop-file-validate "$entry"

Xvfb "$display" -screen 0 1600x1000x24 >/dev/null 2>&1 &
xvfb=$!
home="$(mktemp -d)"
app=""
cleanup() {
    [ -n "$app" ] && kill "$app" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    rm -rf "$home"
}
trap cleanup EXIT
sleep 2
# What the launcher runs: the Exec line, without field codes.
exec_line="$(sed -n 's/^Exec=//p' "$entry" | head -n 1 | sed 's/ %[fFuU]//g')"
HOME="$home" XDG_RUNTIME_DIR="$home" DISPLAY="$display" sh -c "exec $exec_line" >"$home/log" 2>&1 &
app=$!
for _ in $(seq 1 60); do
    if DISPLAY="$display" xdotool search --class headroom >/dev/null 2>&1; then
        sleep 8
        xwd -root -silent -display "$display" | convert xwd:- "$shot"
        echo "headroom opened from its desktop entry; screenshot: $shot"
        exit 0
    fi
    sleep 1
done
echo "test-deb.sh: no headroom window within 60 s; its output:" >&2
cat "$home/log" >&2
exit 1
