#!/usr/bin/env bash
# Debian packages nlc-bench needs: ffmpeg (decoding, torchcodec), rubberband (the test that checks the
# in-process Rubber Band stretcher against its command line),
# lmms (the real-song corpus), chromium + chromedriver (the questionnaire's browser test), bubblewrap (the
# sandbox that runs submitted models: `run --sandbox`, `validate --sandbox`, leaderboard verification).
set -euo pipefail
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v rubberband >/dev/null || need+=(rubberband-cli)
command -v lmms >/dev/null || need+=(lmms)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -e /usr/lib/x86_64-linux-gnu/libsndfile.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libsndfile.so.1 ] || need+=(libsndfile1)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
