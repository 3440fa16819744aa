"""What a venue runs in production: health checks, request logs, the gunicorn config."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from demo import DE_STORM
from helpers import catalogue_ready, vdm_calls

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_never_asks_vdm(make_app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = make_app(f"http://127.0.0.1:{port}").test_client()  # nothing listens there
    answer = web.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_reports_the_catalogue_age_and_a_stale_catalogue_is_unready(app, web, sandbox):
    from dataclasses import replace

    catalogue = catalogue_ready(app)
    calls = vdm_calls(app)
    answer = web.get("/readyz")
    assert answer.status_code == 200 and answer.json["status"] == "ready"
    assert 0 <= answer.json["catalogue_age_seconds"] < 60 and answer.json["catalogue_complete"] is True
    assert calls == []  # probes never load VdM
    box_office = app.extensions["box_office"]
    box_office.catalogue.use(replace(catalogue, taken_at=catalogue.taken_at - 3600))  # VdM silent for an hour
    answer = web.get("/readyz")
    assert answer.status_code == 503 and "older than 900" in answer.json["reason"]


def test_readyz_is_unready_before_the_first_catalogue(make_app):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = make_app(f"http://127.0.0.1:{port}").test_client()  # nothing listens there
    answer = web.get("/readyz")
    assert answer.status_code == 503 and answer.json["status"] == "unavailable"


def test_one_json_line_per_request_with_vdm_time(app, web):
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logging.getLogger("shop.requests").addHandler(handler)
    catalogue_ready(app)
    with web.session_transaction() as session:
        session["cart_id"] = "made-up"
    try:
        web.get("/cart/")
        web.get(f"/shows/{DE_STORM}")
        web.get("/healthz", environ_base={"REMOTE_ADDR": "198.51.100.77"})
    finally:
        logging.getLogger("shop.requests").removeHandler(handler)
    first, second, health = (json.loads(line) for line in lines)
    assert set(first) == {"time", "method", "path", "status", "ms", "vdm_calls", "vdm_ms", "client"}
    assert (first["path"], first["status"]) == ("/cart/", 200)
    assert first["vdm_calls"] == 1 and 0 < first["vdm_ms"] <= first["ms"]
    assert (second["path"], second["vdm_calls"]) == (f"/shows/{DE_STORM}", 0)  # the catalogue snapshot's
    assert health["client"] == "198.51.100.0"  # the network, not the person


def test_gunicorn_config_serves_the_shop(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VDM_", "SHOP_", "SANDBOX_"))}
    env.update(SHOP_INSTANCE_PATH=str(tmp_path), GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() == {"status": "ok"}
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert page.status_code == 200 and "De Storm" in page.text, output[-3000:]
    assert "Using worker: gthread" in output and output.count("Booting worker") == 2
    logged = [json.loads(line) for line in output.splitlines() if line.startswith('{"time"')]
    # Even the first programme view waited only for the refresher: it made no VdM call itself.
    assert [line["vdm_calls"] for line in logged if line["path"] == "/"] == [0]
