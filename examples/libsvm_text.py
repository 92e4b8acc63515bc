"""Reads LIBSVM text files ("label index:value ..." lines, feature indices from 1), the format of
the example data sets. Used by build_models.py and by the project's tests."""
from pathlib import Path


def read_sparse(path):
    """(labels, rows): a float label a line, and each row as an {index: value} dict."""
    labels, rows = [], []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        labels.append(float(parts[0]))
        row = {}
        for item in parts[1:]:
            index, value = item.split(":")
            row[int(index)] = float(value)
        rows.append(row)
    return labels, rows


def dense(rows, n_features):
    """Sparse rows ({index: value}) as a numpy float64 array of shape [N, n_features]: feature j
    goes to column j - 1, and the features a row leaves out are zeros."""
    import numpy as np

    X = np.zeros((len(rows), n_features))
    for i, row in enumerate(rows):
        for j, value in row.items():
            if not 1 <= j <= n_features:
                raise ValueError(f"feature {j} outside 1..{n_features}")
            X[i, j - 1] = value
    return X


def read_dense(path, n_features):
    """(X, y) of a LIBSVM text file as numpy float64 arrays, X as dense() makes it."""
    import numpy as np

    labels, rows = read_sparse(path)
    try:
        X = dense(rows, n_features)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return X, np.array(labels)
