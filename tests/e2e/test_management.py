"""Management exposure: --model-control-mode none, the repository API token, and log lines that
request text cannot forge."""
import shutil
import subprocess

import numpy as np
import pytest

from helpers import INDEX_BOTH_READY, check_empty_ok, check_error, check_serving, infer_body

TOKEN = "e2e-token-0123456789abcdef"
UNLOAD = "/v2/repository/models/mushroom-xgboost/unload"
LOAD = "/v2/repository/models/mushroom-xgboost/load"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_model_control_mode_none_refuses_load_and_unload(start_server, mushroom):
    s = start_server("--model-control-mode", "none")
    refused = "model control is disabled on this server (--model-control-mode none)"
    check_error(s.post(UNLOAD), 403, refused)
    check_error(s.post(LOAD), 403, refused)
    check_error(s.post(UNLOAD, headers=bearer(TOKEN)), 403, refused)
    check_error(s.post("/v2/repository/models/no-such-model/load"), 403, refused)
    r = s.post("/v2/repository/index", json={})
    assert r.status_code == 200 and r.text == INDEX_BOTH_READY
    check_serving(s, mushroom)
    assert any("model control mode none" in line for line in s.lines)


@pytest.mark.parametrize("source", ["flag", "file", "environment"])
def test_token_guards_load_and_unload(start_server, mushroom, tmp_path, source, monkeypatch):
    if source == "flag":
        s = start_server("--repository-api-token", TOKEN)
    elif source == "file":
        path = tmp_path / "token"
        path.write_text(TOKEN + "\n")
        s = start_server("--repository-api-token-file", str(path))
    else:
        monkeypatch.setenv("MODELREPO_REPOSITORY_API_TOKEN", TOKEN)
        s = start_server()
    missing = "load and unload need the repository API token: Authorization: Bearer <token>"
    invalid = "the repository API token is not valid"
    check_error(s.post(UNLOAD), 403, missing)
    check_error(s.post(UNLOAD, headers={"Authorization": "Basic " + TOKEN}), 403, missing)
    for guess in [TOKEN[:-1], TOKEN + "0", TOKEN.upper(), "x", TOKEN[1:] + TOKEN[0]]:
        check_error(s.post(UNLOAD, headers=bearer(guess)), 403, invalid)
    # Nothing changed.
    assert s.post("/v2/repository/index", json={}).text == INDEX_BOTH_READY
    check_serving(s, mushroom)

    check_empty_ok(s.post(UNLOAD, headers=bearer(TOKEN)))
    index = s.post("/v2/repository/index", json={}).json()
    assert {e["name"]: e["state"] for e in index}["mushroom-xgboost"] == "UNAVAILABLE"
    check_error(s.post(LOAD), 403, missing)
    check_empty_ok(s.post(LOAD, headers=bearer(TOKEN)))
    assert s.post("/v2/repository/index", json={}).text == INDEX_BOTH_READY
    check_serving(s, mushroom)
    assert not any(TOKEN in line for line in s.lines), "the token must never be logged"


def test_bad_tokens_stop_the_server_at_start(server_binary, examples, tmp_path):
    for args, message in [(["--repository-api-token", "short"], "16 to 4096 characters"),
                          (["--repository-api-token", "has a space in it 0123"], "visible ASCII"),
                          (["--repository-api-token-file", str(tmp_path / "missing")], "cannot read the token file")]:
        run = subprocess.run([server_binary, "start", str(examples / "models"), "--http-port", "0", *args],
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 2, run.stderr
        assert message in run.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_request_text_cannot_forge_log_lines(start_server, examples, tmp_path, debug):
    forged = "2026-01-01T00:00:00.000Z INFO  forged"
    # A model folder whose name carries a line break: the server lists and logs it escaped.
    repo = tmp_path / "repo"
    shutil.copytree(examples / "models", repo)
    shutil.copytree(repo / "mushroom-xgboost", repo / ("evil\n" + forged))
    s = start_server(*(["--debug"] if debug else []), repository=repo)
    assert any("evil\\x0a" + forged in line for line in s.lines), s.log()
    encoded = forged.replace(" ", "%20").replace(":", "%3A")
    for path in [f"/v2/repository/models/x%0A{encoded}/load",
                 f"/v2/repository/models/x%0D%0A{encoded}/unload",
                 f"/v2/models/x%0A{encoded}/infer",
                 f"/v2/models/x%0A{encoded}/versions/1%0A{encoded}/ready"]:
        r = s.post(path, data="{}") if not path.endswith("/ready") else s.get(path)
        assert 400 <= r.status_code < 500, r.text
    # An id is echoed, never logged raw.
    s.post("/v2/models/mushroom-xgboost/infer",
           data=infer_body(np.zeros((1, 126)), request_id="a\n" + forged))
    assert s.get("/v2/health/live").status_code == 200
    assert not any(line.startswith(forged) or line.startswith("INFO  forged") for line in s.lines), s.log()
