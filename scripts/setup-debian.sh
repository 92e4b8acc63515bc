#!/usr/bin/env bash
# Installs everything libmodelrepo needs to build, test and benchmark, from Debian's packages.
# Run as root (or through sudo). Safe to run again.
set -euo pipefail

packages=(
  # toolchain
  cmake g++ make pkg-config
  # libraries
  libxgboost-dev xgboost libsvm-dev rapidjson-dev libfmt-dev libboost-dev libboost-system-dev
  libcpprest-dev libssl-dev
  # tests: Catch2, and the independent oracles the tests compare against
  catch2 libsvm-tools python3-libsvm python3-xgboost python3-numpy python3-requests python3-pytest
  curl
  # benchmarks: an HTTP load generator
  wrk
  # sanitizer and fuzzing builds: clang with its libFuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: all ${#packages[@]} packages already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
