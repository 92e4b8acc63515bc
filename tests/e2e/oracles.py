"""The example models' test sets and independent oracles: python3-xgboost and libsvm's own
Python bindings (python3-libsvm), reading the same model files the server serves."""
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from libsvm_text import read_dense  # noqa: E402


@lru_cache(maxsize=None)
def mushroom(examples):
    """(X, xgboost's predictions as float32) for the agaricus test set."""
    import xgboost as xgb
    X, _ = read_dense(Path(examples) / "data" / "agaricus.txt.test", 126)
    booster = xgb.Booster(model_file=str(Path(examples) / "models" / "mushroom-xgboost" / "model.json"))
    predictions = booster.predict(xgb.DMatrix(X.astype(np.float32)))
    return X, np.asarray(predictions, dtype=np.float32)


@lru_cache(maxsize=None)
def digits(examples):
    """(X, libsvm's labels, libsvm's decision values) for the digits test set."""
    import svmutil  # python3-libsvm
    X, y = read_dense(Path(examples) / "data" / "digits.test.libsvm", 64)
    model = svmutil.svm_load_model(str(Path(examples) / "models" / "mnist-svm" / "model.libsvm"))
    sparse = [{i + 1: v for i, v in enumerate(row) if v != 0} for row in X]
    labels, _, decisions = svmutil.svm_predict(list(y), sparse, model, "-q")
    return X, np.array(labels, dtype=np.int64), np.array(decisions, dtype=np.float64)
