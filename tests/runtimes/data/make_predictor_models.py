#!/usr/bin/python3
"""Models for xgboost_tree_predictor_test.cc, beyond the fixtures of make_fixtures.py.

    /usr/bin/python3 make_predictor_models.py OUTDIR

Writes OUTDIR/<name>.json models trained with python3-xgboost on random data with real-valued
features and missing values, OUTDIR/<data>.csv inputs, and OUTDIR/models.txt with one line per
model: "<model file> <data csv> <own|xgboost>", the predictor the runtime must choose for it.
"""

import sys
from pathlib import Path

import numpy as np
import xgboost as xgb

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261204)

F = 12
x = rng.normal(size=(600, F)).astype(np.float32)
x[:, 3] = np.round(x[:, 3] * 4)  # few distinct values: splits at midpoints of them
x[rng.random(x.shape) < 0.1] = np.nan
x_test = rng.normal(size=(300, F)).astype(np.float32) * 2
x_test[rng.random(x_test.shape) < 0.15] = np.nan
np.savetxt(out / "random.csv", x_test, delimiter=",", fmt="%.9g")

s = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) - np.nan_to_num(x[:, 2]) ** 2
y_bin = (s > 0).astype(np.float32)
y_reg = (s + 0.1 * rng.normal(size=len(s))).astype(np.float32)
y_pos = np.abs(y_reg)
y_multi = np.digitize(s, [-2, -1, -0.3, 0.3, 1]).astype(np.float32)

d_bin = xgb.DMatrix(x, label=y_bin, missing=np.nan)
d_reg = xgb.DMatrix(x, label=y_reg, missing=np.nan)
d_pos = xgb.DMatrix(x, label=y_pos, missing=np.nan)
d_multi = xgb.DMatrix(x, label=y_multi, missing=np.nan)

lines = []


def train(name, params, dtrain, rounds, expect, data="random.csv"):
    full = dict(params, nthread=1, seed=7)
    booster = xgb.train(full, dtrain, num_boost_round=rounds)
    booster.save_model(str(out / f"{name}.json"))
    lines.append(f"{name}.json {data} {expect}")


# Reproduced by the own predictor.
train("logistic_base", {"objective": "binary:logistic", "max_depth": 6, "base_score": 0.123456789}, d_bin, 30, "own")
train("reg_logistic", {"objective": "reg:logistic", "max_depth": 4, "base_score": 0.7}, d_bin, 15, "own")
train("logitraw", {"objective": "binary:logitraw", "max_depth": 5, "eta": 0.05}, d_bin, 60, "own")
train("squarederror", {"objective": "reg:squarederror", "max_depth": 7, "base_score": -1.25}, d_reg, 40, "own")
train("squaredlogerror", {"objective": "reg:squaredlogerror", "max_depth": 3}, d_pos, 20, "own")
train("pseudohuber", {"objective": "reg:pseudohubererror", "max_depth": 4}, d_reg, 20, "own")
train("absoluteerror", {"objective": "reg:absoluteerror", "max_depth": 4}, d_reg, 20, "own")
train("softprob", {"objective": "multi:softprob", "num_class": 6, "max_depth": 5}, d_multi, 25, "own")
train("softmax", {"objective": "multi:softmax", "num_class": 6, "max_depth": 6}, d_multi, 25, "own")
train("forest", {"objective": "multi:softprob", "num_class": 6, "max_depth": 4, "num_parallel_tree": 4,
                 "subsample": 0.8, "colsample_bynode": 0.8}, d_multi, 5, "own")
train("hist_binary", {"objective": "binary:logistic", "max_depth": 5, "tree_method": "hist"}, d_bin, 20, "own")
train("approx_reg", {"objective": "reg:squarederror", "max_depth": 5, "tree_method": "approx"}, d_reg, 20, "own")

# Left to XGBoost.
train("dart", {"objective": "binary:logistic", "booster": "dart", "max_depth": 3, "rate_drop": 0.3}, d_bin, 10, "xgboost")
train("gblinear", {"objective": "reg:squarederror", "booster": "gblinear"}, xgb.DMatrix(np.nan_to_num(x), label=y_reg), 10, "xgboost")
train("poisson", {"objective": "count:poisson", "max_depth": 3}, d_pos, 10, "xgboost")
train("gamma", {"objective": "reg:gamma", "max_depth": 3}, xgb.DMatrix(x, label=y_pos + 0.1), 10, "xgboost")
train("tweedie", {"objective": "reg:tweedie", "max_depth": 3}, d_pos, 10, "xgboost")
train("rank", {"objective": "rank:pairwise", "max_depth": 3}, d_reg, 10, "xgboost")

xc = x.copy()
xc[:, 0] = rng.integers(0, 6, size=len(xc)).astype(np.float32)
yc = ((xc[:, 0] == 2) | (xc[:, 0] == 4)).astype(np.float32)
dc = xgb.DMatrix(xc, label=yc, feature_types=["c"] + ["q"] * (F - 1), enable_categorical=True)
train("categorical", {"objective": "binary:logistic", "max_depth": 3, "tree_method": "hist",
                      "max_cat_to_onehot": 1}, dc, 10, "xgboost")

(out / "models.txt").write_text("\n".join(lines) + "\n")
