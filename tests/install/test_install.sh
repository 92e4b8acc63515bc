#!/usr/bin/env bash
# Installs a built libmodelrepo to a temporary prefix, then builds examples/host-app against the
# installed copy with find_package(modelrepo) and runs it on examples/models; also imports the
# installed Python package. Registered in CTest with label "install".
#
#   tests/install/test_install.sh BUILD_DIR SOURCE_DIR [CMAKE] [PYTHON_INSTALL_DIR] [PYTHON]
set -euo pipefail
build="$(cd "$1" && pwd)"
src="$(cd "$2" && pwd)"
cmake="${3:-cmake}"
python_dir="${4:-lib/python3/dist-packages}"
python="${5:-/usr/bin/python3}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/modelrepo-install-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'test_install: FAILED: %s\n' "$*" >&2; exit 1; }

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "install"; }
grep -c Installing "$tmp/install.log" | sed 's/^/files installed: /'
[ -n "$(find "$prefix" -name 'modelrepoConfig.cmake')" ] || fail "no modelrepoConfig.cmake installed"

step "configure examples/host-app with CMAKE_PREFIX_PATH=$prefix"
# A clean environment for the host project: only the installed prefix can satisfy it.
"$cmake" -S "$src/examples/host-app" -B "$tmp/app" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
grep -q "modelrepo_DIR:PATH=$prefix/" "$tmp/app/CMakeCache.txt" \
  || fail "find_package(modelrepo) did not use the installed copy: $(grep modelrepo_DIR "$tmp/app/CMakeCache.txt")"

step "build examples/host-app"
"$cmake" --build "$tmp/app" -j2

step "run app (C++ API)"
"$tmp/app/app" "$src/examples/models" | tee "$tmp/app.out"
# Walkthrough: unloaded, then READY again; both models answer.
grep -q "mushroom-xgboost v0.1.0 UNAVAILABLE (unloaded)" "$tmp/app.out" || fail "no unloaded state"
[ "$(grep -c 'mushroom-xgboost v0.1.0 READY' "$tmp/app.out")" -eq 2 ] || fail "index before/after"
grep -q "predict_proba FP32 \[1,2\]: 0.714170 0.285830" "$tmp/app.out" || fail "mushroom-xgboost answer"
grep -q "predict INT64 \[1,1\]: 8" "$tmp/app.out" || fail "mnist-svm answer"
grep -q "NOT_FOUND: Model no-such-model not found (HTTP 404)" "$tmp/app.out" || fail "error step"
# It runs against the installed library, not the build tree's.
ldd "$tmp/app/app" | grep 'libmodelrepo.so' | tee "$tmp/ldd.out"
grep -q "$prefix/" "$tmp/ldd.out" || fail "app does not load the installed libmodelrepo"

if [ -x "$tmp/app/app_c" ]; then
  step "run app_c (C API)"
  "$tmp/app/app_c" "$src/examples/models" | tee "$tmp/app_c.out"
  grep -q "predict_proba FP32 \[1,2\]: 0.714170 0.285830" "$tmp/app_c.out" || fail "app_c answer"
  # ldd's output is kept first: `ldd | grep -q` under pipefail fails whenever grep stops reading early.
  ldd "$tmp/app/app_c" > "$tmp/ldd_c.out"
  grep -q "$prefix/.*libmodelrepo_c.so" "$tmp/ldd_c.out" || fail "app_c does not load the installed libmodelrepo_c"
fi

if [ -d "$prefix/$python_dir/modelrepo" ]; then
  step "import the installed Python package"
  (cd "$tmp" && env -u MODELREPO_C_LIBRARY PYTHONPATH="$prefix/$python_dir" PYTHONDONTWRITEBYTECODE=1 \
    "$python" - "$src/examples/models" "$prefix" <<'PY'
import sys
import numpy as np
import modelrepo
assert modelrepo.__file__.startswith(sys.argv[2]), modelrepo.__file__
assert modelrepo.library_path().startswith(sys.argv[2]), modelrepo.library_path()
with modelrepo.Repository(sys.argv[1]) as repo:
    repo.unload("mushroom-xgboost")
    repo.load("mushroom-xgboost")
    x = np.zeros((1, 126), dtype=np.float32)
    x[0, [0, 8, 18, 20, 23, 33, 35, 38, 41, 52, 55, 64, 68, 76, 85, 87, 91, 94, 101, 105, 116, 121]] = 1
    p = repo.infer("mushroom-xgboost", x, outputs=["predict_proba"])["predict_proba"]
    assert abs(p[0, 1] - 0.28583017) < 1e-6, p
print("modelrepo", modelrepo.__version__, "from", modelrepo.__file__, "using", modelrepo.library_path())
PY
  ) || fail "installed Python package"
fi

printf '\ntest_install: OK\n'
