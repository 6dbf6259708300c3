#!/usr/bin/env bash
# Debian packages the tests need beyond Node: ffmpeg (the server's video requests), opencv-doc
# (OpenCV's sample videos: bench:quality's real footage, decoded by ffmpeg) and Debian's
# PyTorch stack (the ONNX exporter, its PyTorch-vs-ONNX e2e, and the anomalib importer fixtures —
# no pip, no downloaded weights), and for the image e2e (libs/image-builder): Debian's
# docker-registry on loopback, skopeo and umoci to pull and unpack the image, debootstrap for its
# test base, curl to probe it inside a network namespace. Installs only what is missing; run as root (or with sudo).
set -euo pipefail
DEBS="ffmpeg opencv-doc python3-torch python3-torchvision python3-onnx python3-joblib python3-sklearn python3-numpy python3-yaml python3-pytest docker-registry skopeo umoci debootstrap curl"
missing=""
for p in $DEBS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
