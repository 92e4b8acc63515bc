"""Leak check: 1,000 load/unload cycles of mushroom-xgboost (and 300 of mnist-svm, interleaved
with inference) leave the server's resident memory flat.

RSS (VmRSS from /proc) is taken after the first 100 cycles, once allocator pools and caches have
settled, and again after the last; the figures are printed (visible with -s) and logged. The
bound is 2 MiB over the last 900 cycles, about ten times the drift measured on this machine
(120-220 KiB, glibc arenas of the 2 HTTP threads and XGBoost's per-thread state): a leak of
2.3 KiB per cycle already exceeds it, while what a cycle allocates is far more (an XGBoost
booster with its learner and configuration; the mnist-svm model, read from a 148 KB file of support vectors).
"""
import logging

import numpy as np
import requests

import oracles
from helpers import check_empty_ok, infer_body, vm_rss_kib

log = logging.getLogger(__name__)
BOUND_KIB = 2 * 1024


def cycle(http, url, model, body, expected_check):
    for action in ("unload", "load"):
        r = http.post(f"{url}/v2/repository/models/{model}/{action}", timeout=30)
        check_empty_ok(r)
    r = http.post(f"{url}/v2/models/{model}/infer", data=body, timeout=30)
    assert r.status_code == 200, r.text
    expected_check(r.json()["outputs"][0]["data"])


def test_load_unload_cycles_leave_memory_flat(start_server, examples, engine, measures_memory):
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    Xd, labels, _ = oracles.digits(str(examples))
    mushroom_body, digits_body = infer_body(X[:20]), infer_body(Xd[:5])

    def mushroom_ok(data):
        np.testing.assert_array_equal(np.array(data, dtype=np.float32), expected[:20])

    def digits_ok(data):
        assert data == labels[:5].tolist()

    figures = {}
    with requests.Session() as http:
        for i in range(1, 1001):
            cycle(http, s.url, "mushroom-xgboost", mushroom_body, mushroom_ok)
            if i % 10 < 3:  # 300 cycles of the libsvm model, interleaved
                cycle(http, s.url, "mnist-svm", digits_body, digits_ok)
            if i in (1, 100, 500, 1000):
                figures[i] = vm_rss_kib(s.proc.pid)
    message = (f"{engine}: VmRSS after 1 cycle {figures[1]} KiB, after 100 {figures[100]} KiB, "
               f"after 500 {figures[500]} KiB, after 1000 {figures[1000]} KiB; "
               f"growth from 100 to 1000: {figures[1000] - figures[100]} KiB (bound {BOUND_KIB} KiB)")
    print("\n" + message)
    log.warning(message)
    assert figures[1000] - figures[100] < BOUND_KIB, message
