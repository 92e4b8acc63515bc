"""One Repository shared by several Python threads: correct answers under concurrency, the GIL
released during library calls, loads/unloads and close() racing with inference."""

import threading
import time

import numpy as np
import pytest

import modelrepo
from conftest import EXAMPLES


def run_threads(target, count):
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


def test_concurrent_inference_matches_sequential(repo, agaricus, digits):
    X, _ = agaricus
    D, _ = digits
    expected_x = repo.infer("mushroom-xgboost", X, outputs=["predict_proba"])["predict_proba"]
    expected_d = repo.infer("mnist-svm", D, outputs=["predict", "decision_function"])

    def work(i):
        rng = np.random.default_rng(i)
        for _ in range(25):
            rows = rng.choice(len(X), size=int(rng.integers(1, 200)), replace=False)
            got = repo.infer("mushroom-xgboost", X[rows].astype(np.float32),
                             outputs=["predict_proba"])["predict_proba"]
            np.testing.assert_array_equal(got, expected_x[rows])
            rows = rng.choice(len(D), size=int(rng.integers(1, 50)), replace=False)
            got = repo.infer("mnist-svm", D[rows], outputs=["predict", "decision_function"])
            np.testing.assert_array_equal(got["predict"], expected_d["predict"][rows])
            np.testing.assert_array_equal(got["decision_function"],
                                          expected_d["decision_function"][rows])

    run_threads(work, 8)


def test_gil_is_released_during_inference(repo, digits):
    """ctypes.CDLL releases the GIL around each foreign call: while one thread is inside a long
    inference, this thread keeps running Python code."""
    D, _ = digits
    big = np.tile(D, (5, 1))  # a few tenths of a second of libsvm work
    done = threading.Event()
    spans = []

    def infer():
        start = time.perf_counter()
        repo.infer("mnist-svm", big)
        spans.append(time.perf_counter() - start)
        done.set()

    worker = threading.Thread(target=infer)
    last = time.perf_counter()
    longest_pause = 0.0
    ticks = 0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        longest_pause = max(longest_pause, now - last)
        last = now
        ticks += 1
    worker.join()
    call = spans[0]
    assert call > 0.1, "inference too quick to tell"
    # With the GIL held for the whole call this loop would stall for `call` seconds at once.
    assert longest_pause < call / 2, (longest_pause, call)
    assert ticks > 1000


def test_load_unload_race_with_inference(agaricus, digits):
    X, _ = agaricus
    D, _ = digits
    with modelrepo.Repository(EXAMPLES) as repo:
        expected = repo.infer("mushroom-xgboost", X[:20])["predict"]
        stop = threading.Event()
        refused = []

        def infer(i):
            while not stop.is_set():
                try:
                    got = repo.infer("mushroom-xgboost", X[:20])["predict"]
                    np.testing.assert_array_equal(got, expected)
                except (modelrepo.NotFoundError, modelrepo.UnavailableError):
                    refused.append(1)  # between an unload and the next load
                # the other model is never disturbed
                assert repo.infer("mnist-svm", D[:2])["predict"][0, 0] == 8

        def reload(_):
            try:
                for _ in range(30):
                    repo.unload("mushroom-xgboost")
                    repo.load("mushroom-xgboost")
                    repo.load("mushroom-xgboost")  # reload while serving
            finally:
                stop.set()

        run_threads(lambda i: reload(i) if i == 0 else infer(i), 5)
        assert repo.is_ready("mushroom-xgboost")


def test_close_waits_for_running_calls_then_refuses(digits):
    D, _ = digits
    repo = modelrepo.Repository(EXAMPLES)
    started = threading.Barrier(5)
    outcomes = []
    lock = threading.Lock()

    def infer(i):
        started.wait()
        for _ in range(50):
            try:
                got = repo.infer("mnist-svm", D[:100])["predict"]
                assert got.shape == (100, 1)
                outcome = "ok"
            except modelrepo.UnavailableError:
                outcome = "closed"
            with lock:
                outcomes.append(outcome)

    def close(_):
        started.wait()
        time.sleep(0.05)
        repo.close()

    run_threads(lambda i: close(i) if i == 0 else infer(i), 5)
    assert repo.closed
    assert len(outcomes) == 200
    assert "closed" in outcomes
    # once refused, a thread is never served again
    with pytest.raises(modelrepo.UnavailableError):
        repo.infer("mnist-svm", D[:1])
