#!/usr/bin/env bash
# Installs the Debian packages sparsenas needs and builds it into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libxgboost-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libstb-dev
  libgtest-dev libbenchmark-dev libgoogle-perftools-dev libopenblas0-openmp libopenblas-dev
  dataset-fashion-mnist gnuplot-nox python3-torch python3-torchvision python3-tqdm libsleef-dev
  libonnx-dev libprotobuf-dev libopencv-dnn-dev libgloo-dev libfreetype-dev
)
# The glyphs data set's fonts (`sparsenas dataset glyphs`; src/sparsenas/glyphs/font_catalog.cpp
# names them and says why these): about 115 MB for Latin, 190 MB for CJK.
PACKAGES+=(
  fonts-adf-accanthis fonts-adf-baskervald fonts-adf-berenis fonts-adf-gillius fonts-adf-ikarius
  fonts-adf-irianis fonts-adf-libris fonts-adf-romande fonts-adf-switzera fonts-adf-tribun
  fonts-adf-universalis fonts-adf-verana fonts-anonymous-pro fonts-arapey fonts-averia-gwf fonts-b612
  fonts-cabin fonts-cantarell fonts-cardo fonts-cmu fonts-comfortaa fonts-comic-neue fonts-courier-prime
  fonts-crosextra-caladea fonts-crosextra-carlito fonts-dancingscript fonts-dejavu-core
  fonts-dkg-handwriting fonts-dosis fonts-ebgaramond fonts-fanwood fonts-firacode fonts-go
  fonts-goudybookletter fonts-humor-sans fonts-inconsolata fonts-isabella fonts-jetbrains-mono
  fonts-junction fonts-jura fonts-karla fonts-kaushanscript fonts-kristi fonts-lato fonts-league-spartan
  fonts-liberation fonts-linuxlibertine fonts-lobster fonts-manrope fonts-mononoki fonts-ocr-a fonts-ocr-b
  fonts-oldstandard fonts-open-sans fonts-opendyslexic fonts-play fonts-prociono fonts-quattrocento
  fonts-quicksand fonts-roboto-slab fonts-sil-andika fonts-sil-charis fonts-sil-gentium fonts-sora
  fonts-stix fonts-tuffy fonts-urw-base35 fonts-vollkorn fonts-yanone-kaffeesatz fonts-yrsa-rasa
  fonts-aoyagi-soseki fonts-arphic-ukai fonts-arphic-uming fonts-cwtex-fs fonts-cwtex-heib fonts-cwtex-kai
  fonts-cwtex-ming fonts-cwtex-yen fonts-dejima-mincho fonts-ipafont-gothic fonts-ipafont-mincho
  fonts-komatuna fonts-konatu fonts-motoya-l-cedar fonts-motoya-l-maruberi fonts-seto fonts-smiley-sans
  fonts-vlgothic fonts-wqy-microhei fonts-wqy-zenhei fonts-yusei-magic
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
