#!/usr/bin/env bash
# Fetches the real images some tests read: scikit-image's sample photos
# (Debian's python3-skimage), unpacked without installing the package or its
# Python dependencies. Real MRI volumes come from Debian's mricron-data,
# which .ci/run installs. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target="$root/.cache/test-data/skimage"
if [ -f "$target/rocket.jpg" ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-skimage >/dev/null 2>&1)
dpkg -x "$work"/python3-skimage_*.deb "$work/unpacked"
mkdir -p "$target"
cp "$work"/unpacked/usr/lib/python3/dist-packages/skimage/data/*.{jpg,png} "$target/"
echo "Test images in $target"
