#!/usr/bin/env bash
# Installs the Debian packages sparsenas needs and builds it into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libxgboost-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libstb-dev
  libgtest-dev libbenchmark-dev libgoogle-perftools-dev libopenblas0-openmp libopenblas-dev
  dataset-fashion-mnist gnuplot-nox python3-torch libsleef-dev
  libonnx-dev libprotobuf-dev libopencv-dnn-dev libgloo-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ccache hits across clones in other folders (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
BUILD_DIR="${SNAS_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >&2
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" >&2  # stdout is for results
