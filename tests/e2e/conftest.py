"""End-to-end tests of modelrepo-server: the real binary on a free loopback port.

    /usr/bin/python3 -m pytest tests/e2e --server build/apps/server/modelrepo-server --engine beast

Each server runs on its own copy of examples/models (tests add and remove models), is started
with --http-port 0 and found through the port its first log line names, and is stopped with
SIGTERM, which must end it with exit code 0.
"""
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
TIMEOUT = 30  # seconds for any single HTTP exchange


def pytest_addoption(parser):
    parser.addoption("--server", default=os.environ.get("MODELREPO_SERVER"),
                     help="path of the modelrepo-server binary")
    parser.addoption("--engine", default="beast,cpprest",
                     help="HTTP engines to test, comma-separated (beast, cpprest)")
    parser.addoption("--examples", default=str(PROJECT / "examples"),
                     help="the project's examples folder (models/ and data/)")
    parser.addoption("--sanitizers", default="",
                     help="the sanitizers the server was built with (MODELREPO_SANITIZE), if any")


def pytest_configure(config):
    # libsvm's Python bindings call a deprecated SciPy function; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:svmutil")


def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames:
        engines = [e for e in metafunc.config.getoption("engine").split(",") if e]
        metafunc.parametrize("engine", engines, scope="module")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


@pytest.fixture(scope="session")
def server_binary(pytestconfig):
    path = pytestconfig.getoption("server")
    if not path or not Path(path).is_file():
        pytest.skip("no modelrepo-server binary: pass --server PATH")
    return path


@pytest.fixture
def measures_memory(pytestconfig):
    """For tests that bound the server's resident memory: AddressSanitizer keeps freed memory in
    quarantine, so RSS says nothing about leaks there (LeakSanitizer checks them at exit)."""
    if "address" in pytestconfig.getoption("sanitizers"):
        pytest.skip("RSS is not a leak measure under AddressSanitizer; LeakSanitizer checks this build")


@pytest.fixture(scope="session")
def examples(pytestconfig):
    return Path(pytestconfig.getoption("examples"))


class Server:
    """A running modelrepo-server and a requests session to it."""

    def __init__(self, binary, repository, engine, *args):
        self.repository = Path(repository)
        self.engine = engine
        self.lines = []
        self._port_found = threading.Event()
        self.port = None
        cmd = [binary, "start", str(repository), "--http-port", "0", "--http-engine", engine,
               "--threads", "2", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._port_found.wait(TIMEOUT):
            self.kill()
            raise RuntimeError("modelrepo-server did not start:\n" + self.log())
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()

    def _read_log(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"on http://[^ ]*:(\d+) ", line)
            if m and self.port is None:
                self.port = int(m.group(1))
                self._port_found.set()

    def log(self):
        return "".join(self.lines)

    def get(self, path, **kw):
        kw.setdefault("timeout", TIMEOUT)
        return self.http.get(self.url + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", TIMEOUT)
        return self.http.post(self.url + path, **kw)

    def wait_ready(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.get("/v2/health/ready", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("modelrepo-server did not turn ready:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the server and returns its exit code."""
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._reader.join(5)
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def copy_models(examples, dest):
    shutil.copytree(examples / "models", dest)
    return dest


@pytest.fixture
def start_server(server_binary, examples, tmp_path, engine, request):
    """Starts servers on a fresh copy of examples/models; each must stop with exit code 0.
    When the test fails, the servers' logs are printed with the failure."""
    started = []

    def start(*args, repository=None, ready=True):
        repo = repository or copy_models(examples, tmp_path / f"models{len(started)}")
        server = Server(server_binary, repo, engine, *args)
        started.append(server)
        if ready:
            server.wait_ready()
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            code = server.stop()
            assert code == 0, server.log()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for server in started:
            print(f"--- log of modelrepo-server on {server.repository} (exit {server.proc.returncode})")
            print(server.log())


def serve_until_done(server):
    """For module fixtures: waits until `server` is ready, yields it, and stops it at the end,
    which must be with exit code 0."""
    try:
        server.wait_ready()
        yield server
    finally:
        code = server.stop()
        assert code == 0, server.log()


@pytest.fixture(scope="module")
def shared_server(server_binary, examples, tmp_path_factory, engine):
    """One server per engine for tests that do not change the repository."""
    repo = copy_models(examples, tmp_path_factory.mktemp("shared") / "models")
    yield from serve_until_done(Server(server_binary, repo, engine))


@pytest.fixture(scope="module")
def mushroom(examples):
    """(request body, xgboost's predictions) for 8 rows of the mushroom test set."""
    import oracles
    from helpers import infer_body
    X, expected = oracles.mushroom(str(examples))
    return infer_body(X[:8]), expected[:8]
