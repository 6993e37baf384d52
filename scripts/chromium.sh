#!/bin/sh
# Chromium for chart images (the board pack) and the browser tests: found, or installed from Debian's packages
# where this machine can (root with apt-get), or one line on stdout saying what to install and why, exit 1.
# The Makefile runs this before anything else, so a machine without a browser stops at once.
# BROWSER_PATH, as kaleido's browser finder (choreographer) reads it, names the browser and is the only place
# looked at when set.

found() {
    if [ -n "${BROWSER_PATH:-}" ]; then
        [ -x "$BROWSER_PATH" ]
        return
    fi
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$name" >/dev/null 2>&1 && return 0
    done
    [ -x /usr/bin/chromium ]
}

found && exit 0

why="chart images in the board pack and the browser tests need it"
if [ -n "${BROWSER_PATH:-}" ]; then
    echo "No browser at BROWSER_PATH=$BROWSER_PATH: point it at a Chrome or Chromium, or unset it ($why)"
    exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Chromium is missing; installing Debian's chromium ($why)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2 \
            && found; then
        exit 0
    fi
    echo "Chromium is missing and apt-get could not install it (see above); install Debian's chromium ($why)"
    exit 1
fi
echo "Chromium is missing: install it with 'sudo apt-get install -y chromium fonts-liberation' ($why)"
exit 1
