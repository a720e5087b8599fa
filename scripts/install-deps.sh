#!/usr/bin/env bash
# Installs the Debian packages hotengine needs, only those that are missing.
# Safe to run repeatedly; uses sudo when not root.
set -euo pipefail
PKGS=(cmake make g++ llvm-22-dev libclang-22-dev libclang-cpp22-dev clang-22
      libffi-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
      libcpp-httplib-dev wrk linux-perf gdb lldb-22)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
