#!/usr/bin/python3
"""Rebuild the example model repository in examples/models/ from examples/data/.

    /usr/bin/python3 examples/build_models.py

This is MLServer's multi-model-serving example (a repository holding an XGBoost
model and an SVM) rebuilt from the public data in examples/data/:

  models/mushroom-xgboost/model.json   XGBoost booster, agaricus (UCI Mushroom)
                                       train set, max_depth 2, eta 1,
                                       binary:logistic, 2 boosting rounds
  models/mnist-svm/model.libsvm        libsvm C-SVC, RBF kernel, gamma 0.001,
                                       C 1, first half of the UCI digits

The model-settings.json files are hand-written and not touched here. Training is
deterministic (one thread, fixed seed; libsvm's C-SVC has no randomness), so a
rerun rewrites the same files. Needs Debian's python3-xgboost, python3-numpy
and libsvm-tools (svm-train, svm-predict).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb

from libsvm_text import read_dense  # beside this script

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MODELS = HERE / "models"

AGARICUS_FEATURES = 126


def build_mushroom():
    x_train, y_train = read_dense(DATA / "agaricus.txt.train", AGARICUS_FEATURES)
    x_test, y_test = read_dense(DATA / "agaricus.txt.test", AGARICUS_FEATURES)
    # Dense input with the default missing value (NaN): the zeros of the one-hot
    # encoding are real values, as they are when MLServer receives a dense row.
    params = {
        "max_depth": 2,
        "eta": 1,
        "objective": "binary:logistic",
        "nthread": 1,
        "seed": 0,
    }
    booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train), num_boost_round=2)
    out = MODELS / "mushroom-xgboost" / "model.json"
    booster.save_model(str(out))

    # Score the saved file, not the in-memory booster.
    loaded = xgb.Booster(params={"nthread": 1}, model_file=str(out))
    p = loaded.predict(xgb.DMatrix(x_test))
    accuracy = float(np.mean((p > 0.5) == (y_test > 0.5)))
    print(f"mushroom-xgboost: {out.relative_to(HERE)}")
    print(f"  first test row: {float(p[0])!r} (label {y_test[0]!r})")
    print(f"  test accuracy (threshold 0.5): {accuracy:.4%} "
          f"({int(round(accuracy * len(y_test)))}/{len(y_test)})")
    return accuracy


def build_mnist_svm():
    out = MODELS / "mnist-svm" / "model.libsvm"
    subprocess.run(
        ["svm-train", "-q", "-s", "0", "-t", "2", "-g", "0.001", "-c", "1",
         str(DATA / "digits.train.libsvm"), str(out)],
        check=True)

    test = DATA / "digits.test.libsvm"
    with tempfile.TemporaryDirectory() as tmp:
        predictions = Path(tmp) / "predictions.txt"
        subprocess.run(["svm-predict", "-q", str(test), str(out), str(predictions)],
                       check=True)
        predicted = [float(v) for v in predictions.read_text().split()]
    expected = [float(line.split()[0]) for line in test.read_text().splitlines() if line.strip()]
    if len(predicted) != len(expected):
        raise RuntimeError("svm-predict returned a different number of rows")
    correct = sum(a == b for a, b in zip(predicted, expected))
    accuracy = correct / len(expected)
    print(f"mnist-svm: {out.relative_to(HERE)}")
    print(f"  test accuracy (svm-predict): {accuracy:.4%} ({correct}/{len(expected)})")
    return accuracy


def main():
    build_mushroom()
    build_mnist_svm()
    return 0


if __name__ == "__main__":
    sys.exit(main())
