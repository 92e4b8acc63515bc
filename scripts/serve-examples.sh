#!/usr/bin/env bash
# Sets up a Debian machine, builds modelrepo-server and serves the bundled example repository
# (mushroom-xgboost and mnist-svm) on 127.0.0.1:8080. Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target modelrepo-server
exec build/apps/server/modelrepo-server start examples/models "$@"
