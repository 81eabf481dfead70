#!/usr/bin/env bash
# Puts Fashion-MNIST where the configs read it: data/fashion-mnist/ holds the four
# extracted IDX files that MMPretrain's FashionMNIST dataset reads (download=False).
# Source: Debian's dataset-fashion-mnist (gzip'd IDX files in /usr/share/datasets/).
# Idempotent; installs the Debian package when it is missing and apt can.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="${FASHION_MNIST_SRC:-/usr/share/datasets/fashion-mnist}"
DST="$ROOT/data/fashion-mnist"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

have_all() { for f in "${FILES[@]}"; do [ -s "$DST/$f" ] || return 1; done; }
have_all && exit 0

if [ ! -f "$SRC/${FILES[0]}.gz" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    echo "[data] installing Debian's dataset-fashion-mnist"
    $sudo apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 ||
      { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q dataset-fashion-mnist >/dev/null; } || true
  fi
fi
if [ ! -f "$SRC/${FILES[0]}.gz" ]; then
  echo "Fashion-MNIST not found in $SRC: run 'sudo apt-get install dataset-fashion-mnist'" >&2
  exit 1
fi

mkdir -p "$DST"
for f in "${FILES[@]}"; do
  # Extract under a temporary name, then rename: never a half-written file.
  gzip -dc "$SRC/$f.gz" >"$DST/.$f.part"
  mv "$DST/.$f.part" "$DST/$f"
done
echo "[data] Fashion-MNIST ready in $DST"
