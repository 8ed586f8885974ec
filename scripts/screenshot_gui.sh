#!/usr/bin/env bash
# Launch the real Greenroom window under Xvfb, take a screenshot of it, close it with Ctrl+Q and check that it exits.
#
#   scripts/screenshot_gui.sh [OUTPUT.png] [greenroom arguments...]
#   scripts/screenshot_gui.sh docs/screenshot.png --source assets/demo/demo-desk-960x540.mp4
#
# Environment: PYTHON (default .venv/bin/python), SETTLE_SECONDS (time for frames to flow before the shot,
# default 8), SCREEN_SIZE (default 1440x900), GREENROOM_MODEL (another model spec, see segmentation/weights.py),
# PRESS_KEYS (keys to press once the window is up, as xdotool names them, for example "o" to turn on Only me).
# The app runs with a throw-away settings folder, so the shot never depends on (or changes) your own settings.
# Exit codes: 0 done; 1 the window never appeared, or did not close and exit within 5 s; 3 tools missing.
set -euo pipefail
cd "$(dirname "$0")/.."

output=${1:-docs/screenshot.png}
[ $# -gt 0 ] && shift
python=${PYTHON:-.venv/bin/python}
settle=${SETTLE_SECONDS:-8}
screen_size=${SCREEN_SIZE:-1440x900}
apt_packages="xvfb xauth xdotool imagemagick libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-cursor0 libxkbcommon-x11-0"

missing=""
for tool in Xvfb xdotool import; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "screenshot_gui: missing:$missing; install them with: sudo apt-get install -y $apt_packages" >&2
    exit 3
fi

workdir=$(mktemp -d)
xvfb_pid=""
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$workdir"
}
trap cleanup EXIT

# Xvfb picks a free display number itself and writes it to the file descriptor given with -displayfd.
Xvfb -displayfd 3 -screen 0 "${screen_size}x24" -nolisten tcp 3>"$workdir/display" 2>"$workdir/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 50); do
    [ -s "$workdir/display" ] && break
    sleep 0.1
done
if [ ! -s "$workdir/display" ]; then
    echo "screenshot_gui: Xvfb did not start:" >&2
    cat "$workdir/xvfb.log" >&2
    exit 1
fi
export DISPLAY=":$(head -n1 "$workdir/display")"
export QT_QPA_PLATFORM=xcb
export XDG_CONFIG_HOME="$workdir/config"

"$python" -m app "$@" >"$workdir/app.log" 2>&1 &
app_pid=$!

window=""
for _ in $(seq 120); do
    window=$(xdotool search --onlyvisible --name '^Greenroom$' 2>/dev/null | head -n1 || true)
    [ -n "$window" ] && break
    if ! kill -0 "$app_pid" 2>/dev/null; then
        break
    fi
    sleep 0.5
done
if [ -z "$window" ]; then
    echo "screenshot_gui: the Greenroom window did not appear; the app said:" >&2
    cat "$workdir/app.log" >&2
    exit 1
fi

if [ -n "${PRESS_KEYS:-}" ]; then
    sleep 2
    xdotool windowfocus --sync "$window" 2>/dev/null || true
    for key in $PRESS_KEYS; do
        xdotool key --window "$window" "$key"
    done
fi
sleep "$settle"
mkdir -p "$(dirname "$output")"
import -window "$window" "$output"
echo "screenshot_gui: saved $output ($(identify -format '%wx%h' "$output" 2>/dev/null || echo '?'))"

# Close the way a user does (Ctrl+Q); without a window manager the window needs the keyboard focus first.
xdotool windowfocus --sync "$window" 2>/dev/null || true
closing_started=$(date +%s.%N)
xdotool key --clearmodifiers ctrl+q
status=""
for _ in $(seq 50); do
    if ! kill -0 "$app_pid" 2>/dev/null; then
        wait "$app_pid" && status=0 || status=$?
        break
    fi
    sleep 0.1
done
if [ -z "$status" ]; then
    echo "screenshot_gui: the app did not exit within 5 s of Ctrl+Q; its log:" >&2
    cat "$workdir/app.log" >&2
    exit 1
fi
app_pid=""
if [ "$status" -ne 0 ]; then
    echo "screenshot_gui: the app exited with status $status; its log:" >&2
    cat "$workdir/app.log" >&2
    exit 1
fi
elapsed=$(awk -v start="$closing_started" -v end="$(date +%s.%N)" 'BEGIN { printf "%.1f", end - start }')
echo "screenshot_gui: the window closed and the app exited cleanly ${elapsed} s after Ctrl+Q"
