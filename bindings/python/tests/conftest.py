"""Shared helpers of the modelrepo package's tests (run by CTest with PYTHONPATH set to the build
tree's package; see ../CMakeLists.txt)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SOURCE_DIR = Path(os.environ.get("MODELREPO_SOURCE_DIR", Path(__file__).resolve().parents[3]))
EXAMPLES = SOURCE_DIR / "examples" / "models"
DATA = SOURCE_DIR / "examples" / "data"
AGARICUS_TEST = DATA / "agaricus.txt.test"
DIGITS_TEST = DATA / "digits.test.libsvm"
MUSHROOM_MODEL = EXAMPLES / "mushroom-xgboost" / "model.json"
DIGITS_MODEL = EXAMPLES / "mnist-svm" / "model.libsvm"

sys.path.insert(0, str(SOURCE_DIR / "examples"))
from libsvm_text import read_dense  # noqa: E402


@pytest.fixture(scope="session")
def agaricus():
    return read_dense(AGARICUS_TEST, 126)


@pytest.fixture(scope="session")
def digits():
    return read_dense(DIGITS_TEST, 64)


@pytest.fixture(scope="module")
def repo():
    import modelrepo
    with modelrepo.Repository(str(EXAMPLES)) as r:
        yield r


def copy_examples(dest):
    """A private copy of the example repository (for tests that change it)."""
    shutil.copytree(EXAMPLES, dest)
    return dest


def run_python(code, env_extra=None):
    """Runs `code` in a fresh interpreter (same PYTHONPATH); returns the completed process."""
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
