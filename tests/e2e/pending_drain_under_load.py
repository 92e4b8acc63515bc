"""SIGTERM under load on the cpprest engine: sometimes does not exit (see CPPREST_DRAIN in
test_drain_under_load.py). Not collected; run with
    /usr/bin/python3 -m pytest -q pending_drain_under_load.py --server PATH --engine cpprest
"""
from test_drain_under_load import drain_under_load


def test_sigterm_under_load_drains_repeatedly(start_server, examples):
    for _ in range(5):
        drain_under_load(start_server, examples)
