#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds examples/embed against it with
# find_package(peerlink), runs it (two embedded nodes exchange a message), and compiles a file
# with the pkg-config flags. Usage: check_install.sh <build dir> <source dir>
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/embed" >/dev/null
"$work/embed/embed"
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --exists peerlink
echo '#include <peerlink/peerlink.hpp>
int main() { peerlink::Config c; return c.p2p.max_num_outbound_peers == 10 ? 0 : 1; }' > "$work/pc.cpp"
# shellcheck disable=SC2046
c++ -o "$work/pc" "$work/pc.cpp" $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs peerlink)
"$work/pc"
echo "install ok: find_package and pkg-config"
