"""Lifecycle races through the server: inference on a model from several keep-alive clients while
it is unloaded and loaded hundreds of times; concurrent loads and unloads of one model; unload
during a load; the index polled throughout. No 5xx, no reset connection, every inference answer
either correct or the spec's "not there" answers (404 once unloaded, 503 while loading), and a
consistent final state."""
import threading
import time

import numpy as np
import requests

import oracles
from helpers import check_empty_ok, check_error, infer_body

MODEL = "mushroom-xgboost"
STATES = {"READY", "LOADING", "UNLOADING", "UNAVAILABLE"}


class Failures:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def add(self, what):
        with self.lock:
            self.items.append(what)

    def run(self, fn, *args):
        """fn in a thread; any exception (a reset connection, a timeout) is a failure."""
        def body():
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - every exception is a finding here
                self.add(f"{fn.__name__}: {type(e).__name__}: {e}")
        t = threading.Thread(target=body)
        t.start()
        return t


def check_infer_answer(r, expected, counts):
    if r.status_code == 200:
        got = np.array(r.json()["outputs"][0]["data"], dtype=np.float32)
        if not np.array_equal(got, expected):
            return f"wrong prediction: {r.text[:200]}"
        counts["ok"] += 1
        return None
    body = r.json()
    if r.status_code == 404 and body == {"error": f"Model {MODEL} not found"}:
        counts["404"] += 1
        return None
    if r.status_code == 503 and body == {"error": f"Model {MODEL} is loading"}:
        counts["503"] += 1
        return None
    return f"unexpected answer {r.status_code}: {r.text[:200]}"


def check_index(r):
    if r.status_code != 200:
        return f"index {r.status_code}: {r.text[:200]}"
    entries = r.json()
    if [e["name"] for e in entries] != ["mnist-svm", MODEL]:
        return f"index names: {entries}"
    for e in entries:
        if e["state"] not in STATES:
            return f"index state: {e}"
        if e["name"] == "mnist-svm" and e["state"] != "READY":
            return f"the other model changed: {e}"
    return None


def infer_until(stop, url, body, want, counts, failures):
    """Infers on one keep-alive connection until `stop`, checking every answer."""
    with requests.Session() as http:
        while not stop.is_set():
            r = http.post(url + f"/v2/models/{MODEL}/infer", data=body, timeout=30)
            if (problem := check_infer_answer(r, want, counts)) is not None:
                failures.add(problem)


def poll_index_until(stop, url, failures, with_readiness=False):
    """Polls the index (and, with_readiness, the model's readiness) until `stop`."""
    with requests.Session() as http:
        while not stop.is_set():
            if (problem := check_index(http.post(url + "/v2/repository/index", timeout=30))) is not None:
                failures.add(problem)
            if with_readiness:
                r = http.get(url + f"/v2/models/{MODEL}/ready", timeout=30)
                if r.status_code not in (200, 400):
                    failures.add(f"ready {r.status_code}: {r.text[:200]}")
                time.sleep(0.005)


def test_inference_while_the_model_is_unloaded_and_loaded_300_times(start_server, examples):
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    body, want = infer_body(X[:4]), expected[:4]
    failures = Failures()
    stop = threading.Event()
    counts = [{"ok": 0, "404": 0, "503": 0} for _ in range(3)]
    cycles = 300

    def cycle():
        with requests.Session() as http:
            for i in range(cycles):
                for action in ("unload", "load"):
                    r = http.post(s.url + f"/v2/repository/models/{MODEL}/{action}", timeout=30)
                    if r.status_code != 200 or r.content:
                        failures.add(f"{action} #{i}: {r.status_code} {r.text[:200]}")

    readers = ([failures.run(infer_until, stop, s.url, body, want, c, failures) for c in counts]
               + [failures.run(poll_index_until, stop, s.url, failures, True)])
    cycler = failures.run(cycle)
    cycler.join(timeout=150)
    assert not cycler.is_alive(), "load/unload cycles hung:\n" + s.log()[-3000:]
    stop.set()
    for t in readers:
        t.join(timeout=60)
        assert not t.is_alive(), "a client hung"
    total = {k: sum(c[k] for c in counts) for k in ("ok", "404", "503")}
    print(f"\n{s.engine}: {cycles} unload/load cycles; inference answers {total}")
    assert not failures.items, failures.items[:5]
    assert total["ok"] > 0
    # Final state: loaded, ready and right; then unloaded, unavailable.
    check_empty_ok(s.get(f"/v2/models/{MODEL}/ready"))
    r = s.post(f"/v2/models/{MODEL}/infer", data=body)
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], dtype=np.float32), want)
    check_empty_ok(s.post(f"/v2/repository/models/{MODEL}/unload"))
    entry = [e for e in s.post("/v2/repository/index", json={}).json() if e["name"] == MODEL][0]
    assert entry == {"name": MODEL, "version": "v0.1.0", "state": "UNAVAILABLE", "reason": "unloaded"}
    check_error(s.post(f"/v2/models/{MODEL}/infer", data=body), 404, f"Model {MODEL} not found")


def test_concurrent_loads_and_unloads_of_one_model(start_server, examples):
    """Four clients load and unload the same model at random (serialised by the repository), while
    others infer and poll the index: every load answers 200, every unload 200 or 404 (already
    unloaded), and the model ends in the state of the last call."""
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    body, want = infer_body(X[:4]), expected[:4]
    failures = Failures()
    stop = threading.Event()
    counts = {"ok": 0, "404": 0, "503": 0}
    rng = np.random.default_rng(5)
    plans = [rng.choice(["load", "unload"], size=60) for _ in range(4)]

    def manage(plan):
        with requests.Session() as http:
            for action in plan:
                r = http.post(s.url + f"/v2/repository/models/{MODEL}/{action}", timeout=60)
                ok = r.status_code == 200 and not r.content
                if action == "unload" and r.status_code == 404:
                    ok = r.json() == {"error": f"Model {MODEL} not found"}
                if not ok:
                    failures.add(f"{action}: {r.status_code} {r.text[:200]}")

    managers = [failures.run(manage, p) for p in plans]
    others = [failures.run(infer_until, stop, s.url, body, want, counts, failures),
              failures.run(infer_until, stop, s.url, body, want, counts, failures),
              failures.run(poll_index_until, stop, s.url, failures)]
    for t in managers:
        t.join(timeout=120)
        assert not t.is_alive(), "loads/unloads hung:\n" + s.log()[-3000:]
    stop.set()
    for t in others:
        t.join(timeout=60)
    assert not failures.items, failures.items[:5]
    # Settle: a final load wins.
    check_empty_ok(s.post(f"/v2/repository/models/{MODEL}/load"))
    entry = [e for e in s.post("/v2/repository/index", json={}).json() if e["name"] == MODEL][0]
    assert entry["state"] == "READY", entry
    r = s.post(f"/v2/models/{MODEL}/infer", data=body)
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], dtype=np.float32), want)


def test_unload_during_a_load(start_server, examples):
    """An unload sent while a load of the same model runs waits for it (serialised) and wins: the
    model ends unloaded. The load itself answers 200. Repeated 40 times."""
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    body = infer_body(X[:2])
    check_empty_ok(s.post(f"/v2/repository/models/{MODEL}/unload"))
    for i in range(40):
        answers = {}

        def call(action):
            answers[action] = requests.post(s.url + f"/v2/repository/models/{MODEL}/{action}", timeout=60)

        loader = threading.Thread(target=call, args=("load",))
        loader.start()
        time.sleep(0.002 * (i % 10))  # at various points of the load
        unloader = threading.Thread(target=call, args=("unload",))
        unloader.start()
        loader.join(60)
        unloader.join(60)
        assert answers["load"].status_code == 200, answers["load"].text
        # The unload may have come first (404: nothing loaded yet) or after the load (200).
        if answers["unload"].status_code == 404:
            check_empty_ok(s.post(f"/v2/repository/models/{MODEL}/unload"))
        else:
            check_empty_ok(answers["unload"])
        entry = [e for e in s.post("/v2/repository/index", json={}).json() if e["name"] == MODEL][0]
        assert entry["state"] == "UNAVAILABLE" and entry["reason"] == "unloaded", entry
        check_error(s.post(f"/v2/models/{MODEL}/infer", data=body), 404, f"Model {MODEL} not found")
    check_empty_ok(s.post(f"/v2/repository/models/{MODEL}/load"))
    r = s.post(f"/v2/models/{MODEL}/infer", data=body)
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], dtype=np.float32), expected[:2])
