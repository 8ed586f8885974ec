#!/usr/bin/env bash
# Install the Greenroom app bundle for the current user (no root needed), or remove it again.
#
#   install.sh [--bundle DIR]     copy the bundle to ~/.local/opt/greenroom, link ~/.local/bin/greenroom to it, add
#                                 the desktop entry and the icons to ~/.local/share
#   install.sh --uninstall        remove all of that again (your Greenroom settings stay)
#
# DIR is the bundle folder built by `make bundle` (the one that holds the `greenroom` executable). By default the
# script looks for dist/greenroom in the repository it belongs to, then for the bundle it is shipped in.
# XDG_DATA_HOME is honoured (default ~/.local/share); GREENROOM_INSTALL_DIR overrides ~/.local/opt/greenroom and
# GREENROOM_BIN_DIR overrides ~/.local/bin.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_id="greenroom"
install_dir="${GREENROOM_INSTALL_DIR:-$HOME/.local/opt/greenroom}"
bin_dir="${GREENROOM_BIN_DIR:-$HOME/.local/bin}"
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
applications_dir="$data_dir/applications"
icons_dir="$data_dir/icons/hicolor"

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

fail() {
    echo "install.sh: $*" >&2
    exit 1
}

is_bundle() {
    [[ -f "$1/$app_id" && -x "$1/$app_id" && -d "$1/_internal" ]]
}

refresh_caches() {
    if command -v update-desktop-database >/dev/null; then
        update-desktop-database -q "$applications_dir" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null && [[ -f "$icons_dir/index.theme" ]]; then
        gtk-update-icon-cache -q -t "$icons_dir" 2>/dev/null || true
    fi
}

do_uninstall() {
    local link="$bin_dir/$app_id"
    if [[ -L "$link" && "$(readlink "$link")" == "$install_dir/$app_id" ]]; then
        rm -f "$link"
    fi
    rm -f "$applications_dir/$app_id.desktop" \
        "$icons_dir/scalable/apps/$app_id.svg" \
        "$icons_dir/256x256/apps/$app_id.png" \
        "$icons_dir/48x48/apps/$app_id.png"
    if [[ -d "$install_dir" ]]; then
        is_bundle "$install_dir" || fail "$install_dir does not look like a Greenroom install; remove it yourself"
        rm -rf "$install_dir"
    fi
    refresh_caches
    echo "Greenroom removed (settings in ~/.config/Greenroom are kept)"
}

do_install() {
    local bundle="$1"
    for file in "$app_id.desktop" "$app_id.svg" "$app_id-256.png" "$app_id-48.png"; do
        [[ -f "$here/$file" ]] || fail "$here/$file is missing"
    done
    if [[ -d "$install_dir" ]]; then
        is_bundle "$install_dir" || fail "$install_dir exists and is not a Greenroom install; move it away first"
    fi

    # Copy to a temporary folder beside the target first, so a failed copy leaves the old install intact.
    mkdir -p "$(dirname "$install_dir")"
    local staging="$install_dir.new.$$"
    rm -rf "$staging"
    cp -a "$bundle/." "$staging/"
    rm -rf "$install_dir"
    mv "$staging" "$install_dir"

    mkdir -p "$bin_dir"
    ln -sfn "$install_dir/$app_id" "$bin_dir/$app_id"

    # The desktop entry points at the installed executable, so it works whether or not ~/.local/bin is on PATH.
    mkdir -p "$applications_dir"
    sed -e "s|^Exec=.*|Exec=\"$install_dir/$app_id\"|" -e "s|^TryExec=.*|TryExec=$install_dir/$app_id|" \
        "$here/$app_id.desktop" >"$applications_dir/$app_id.desktop"
    chmod 644 "$applications_dir/$app_id.desktop"

    install -D -m 644 "$here/$app_id.svg" "$icons_dir/scalable/apps/$app_id.svg"
    install -D -m 644 "$here/$app_id-256.png" "$icons_dir/256x256/apps/$app_id.png"
    install -D -m 644 "$here/$app_id-48.png" "$icons_dir/48x48/apps/$app_id.png"
    refresh_caches

    echo "Greenroom installed to $install_dir"
    echo "  command:       $bin_dir/$app_id"
    echo "  desktop entry: $applications_dir/$app_id.desktop"
    case ":$PATH:" in
        *":$bin_dir:"*) ;;
        *) echo "note: $bin_dir is not on your PATH; add it to run \`greenroom\` from a terminal" ;;
    esac
}

bundle=""
action="install"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bundle)
            [[ $# -ge 2 ]] || fail "--bundle needs a folder"
            bundle="$2"
            shift 2
            ;;
        --uninstall)
            action="uninstall"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) fail "unknown argument: $1 (see --help)" ;;
    esac
done

if [[ "$action" == "uninstall" ]]; then
    do_uninstall
    exit 0
fi

if [[ -z "$bundle" ]]; then
    for candidate in "$here/../../dist/$app_id" "$here/.."; do
        if is_bundle "$candidate"; then
            bundle="$candidate"
            break
        fi
    done
    [[ -n "$bundle" ]] || fail "no bundle found: build one with \`make bundle\` or pass --bundle DIR"
fi
is_bundle "$bundle" || fail "$bundle is not a Greenroom bundle (expected $bundle/$app_id and $bundle/_internal)"
bundle="$(cd "$bundle" && pwd)"
if [[ "$bundle" == "$(cd "$(dirname "$install_dir")" 2>/dev/null && pwd)/$(basename "$install_dir")" ]]; then
    fail "$bundle is already the install location"
fi
do_install "$bundle"
