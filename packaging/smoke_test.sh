#!/usr/bin/env bash
# Smoke test of the Greenroom window: start the app on a private Xvfb display, wait until a window titled
# "Greenroom" is shown, optionally take a screenshot, press Ctrl+Q and check the process exits with code 0 within
# the close timeout.
#
# Usage:
#   packaging/smoke_test.sh [--timeout SECONDS] [--screenshot FILE.png] [APP [ARGS...]]
#
#   APP defaults to dist/greenroom/greenroom (the bundle that `make bundle` builds). Use `.venv/bin/greenroom` to
#   test the app from source before a bundle exists. Arguments after APP are passed to it (e.g. --source FILE).
#
# Environment: GREENROOM_APP (default APP), SMOKE_TIMEOUT (seconds to wait for the window, default 90),
# SMOKE_CLOSE_TIMEOUT (seconds to wait for the exit after Ctrl+Q, default 5), SMOKE_SCREENSHOT (file),
# SMOKE_SCREEN (Xvfb screen, default 1920x1080x24). GREENROOM_MODEL and every other variable are passed through.
#
# Needs: Xvfb, xdotool, and for screenshots ImageMagick's `import`; the Qt xcb libraries (see packaging/README.md).
# The app gets a temporary HOME/XDG_CONFIG_HOME, so saved settings of the user neither affect nor get touched by it.
set -euo pipefail

window_timeout="${SMOKE_TIMEOUT:-90}"
close_timeout="${SMOKE_CLOSE_TIMEOUT:-5}"
screenshot="${SMOKE_SCREENSHOT:-}"
screen="${SMOKE_SCREEN:-1920x1080x24}"

fail() {
    echo "smoke test FAILED: $*" >&2
    exit 1
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --timeout)
            window_timeout="$2"
            shift 2
            ;;
        --screenshot)
            screenshot="$2"
            shift 2
            ;;
        -h | --help)
            sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        --)
            shift
            break
            ;;
        *) break ;;
    esac
done

app="${1:-${GREENROOM_APP:-dist/greenroom/greenroom}}"
[[ $# -gt 0 ]] && shift
app_args=("$@")

[[ -x "$app" ]] || fail "app not found or not executable: $app (build it with \`make bundle\`, or pass .venv/bin/greenroom)"
for tool in Xvfb xdotool; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install xvfb xdotool)"
done
if [[ -n "$screenshot" ]] && ! command -v import >/dev/null; then
    fail "ImageMagick's import is not installed (apt-get install imagemagick), needed for --screenshot"
fi

work="$(mktemp -d)"
log="$work/app.log"
xvfb_pid=""
app_pid=""

cleanup() {
    if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
        kill "$app_pid" 2>/dev/null || true
        sleep 1
        kill -9 "$app_pid" 2>/dev/null || true
    fi
    if [[ -n "$xvfb_pid" ]]; then
        kill "$xvfb_pid" 2>/dev/null || true
        wait "$xvfb_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

show_log() {
    echo "--- app output (last 40 lines) ---" >&2
    tail -n 40 "$log" >&2 || true
    echo "---" >&2
}

# A private X server on the first free display number (Xvfb writes it to the file descriptor it is given).
exec {display_fd}<> <(:)
Xvfb -displayfd "$display_fd" -screen 0 "$screen" -nolisten tcp -noreset >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
display_number=""
if ! read -r -t 15 -u "$display_fd" display_number || [[ -z "$display_number" ]]; then
    cat "$work/xvfb.log" >&2 || true
    fail "Xvfb did not start"
fi
exec {display_fd}>&-
export DISPLAY=":$display_number"
echo "Xvfb on $DISPLAY"

mkdir -p "$work/home" "$work/config" "$work/runtime"
chmod 700 "$work/runtime"
started=$SECONDS
HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_RUNTIME_DIR="$work/runtime" QT_QPA_PLATFORM=xcb \
    "$app" "${app_args[@]}" >"$log" 2>&1 &
app_pid=$!
echo "started $app (pid $app_pid)"

window=""
while [[ -z "$window" ]]; do
    if ! kill -0 "$app_pid" 2>/dev/null; then
        code=0
        wait "$app_pid" || code=$?
        app_pid=""
        show_log
        fail "the app exited with code $code before its window appeared"
    fi
    if ((SECONDS - started > window_timeout)); then
        show_log
        fail "no window named \"Greenroom\" within ${window_timeout}s"
    fi
    window="$(xdotool search --onlyvisible --name '^Greenroom' 2>/dev/null | head -n 1 || true)"
    [[ -n "$window" ]] || sleep 0.5
done
echo "window $window \"$(xdotool getwindowname "$window")\" appeared after $((SECONDS - started))s"
if command -v xprop >/dev/null; then
    xprop -id "$window" WM_CLASS || true
fi

# Let the first frames arrive before the screenshot and the close.
sleep 3
kill -0 "$app_pid" 2>/dev/null || {
    show_log
    fail "the app exited on its own after showing the window"
}
if [[ -n "$screenshot" ]]; then
    import -window root "$screenshot"
    echo "screenshot: $screenshot"
fi

# No window manager runs on Xvfb: give the window the keyboard focus directly, then press Ctrl+Q (XTEST).
xdotool windowfocus --sync "$window" 2>/dev/null || xdotool windowfocus "$window"
xdotool key --clearmodifiers ctrl+q
now_ms() { date +%s%3N; }
asked=$(now_ms)
while kill -0 "$app_pid" 2>/dev/null; do
    if (($(now_ms) - asked >= close_timeout * 1000)); then
        show_log
        fail "the app did not exit within ${close_timeout}s of Ctrl+Q"
    fi
    sleep 0.2
done
code=0
wait "$app_pid" || code=$?
app_pid=""
if [[ "$code" -ne 0 ]]; then
    show_log
    fail "the app exited with code $code after Ctrl+Q"
fi
elapsed_ms=$(($(now_ms) - asked))
echo "closed cleanly $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000)))s after Ctrl+Q (exit code 0)"
echo "smoke test passed"
