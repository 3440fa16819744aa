"""Fixtures: a live sandbox on a free port, a VdM client on it, and the shop built on it.
The helpers the tests share are in helpers.py, the demo venue's names in demo.py."""

from __future__ import annotations

import json
import os

import pytest
from fakes import FakeUpstream, ScriptedVdm
from helpers import SECRET, Buyer, Clock, LiveServer, record_paths

from shop import create_app
from shop.vdm import VdmClient
from vdm_sandbox import create_app as create_sandbox
from vdm_sandbox.catalogue import DEMO_CATALOGUE

# Tests never pick up a developer's own settings.
for name in list(os.environ):
    if name.startswith(("VDM_", "SHOP_", "SANDBOX_")) and name not in ("VDM_LIVE_CLIENT", "VDM_LIVE_API_KEY"):
        del os.environ[name]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright: one per test module."""
    from playwright.sync_api import sync_playwright
    from tools import CHROMIUM_ARGS, chromium

    path = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_catalogue() -> dict:
    return json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture
def start_sandbox(tmp_path):
    """Start a sandbox on a free port; settings override the defaults (a fresh database per test).
    With `clock`, the sandbox's store reads the time from it instead of time.time."""
    servers: list[LiveServer] = []

    def start(catalogue: dict | None = None, *, clock: Clock | None = None, **settings) -> LiveServer:
        if catalogue is not None:
            path = tmp_path / f"catalogue-{len(servers)}.json"
            path.write_text(json.dumps(catalogue), encoding="utf-8")
            settings["SANDBOX_CATALOGUE"] = str(path)
        config = {"SANDBOX_DB": str(tmp_path / "sandbox.sqlite3"), "SANDBOX_SECRET_KEY": SECRET,
                  "WTF_CSRF_ENABLED": True, **settings}
        app = create_sandbox(config, instance_path=str(tmp_path / "sandbox-instance"))
        if clock is not None:
            app.extensions["sandbox"].store.clock = clock
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(start_sandbox) -> LiveServer:
    return start_sandbox()


@pytest.fixture
def vdm(sandbox) -> VdmClient:
    client = VdmClient(sandbox.url + "/v1", "demo", read_timeout=5, backoff=0)
    yield client
    client.close()


@pytest.fixture
def scripted_vdm(sandbox) -> ScriptedVdm:
    """A real client on the sandbox whose cart and order calls a test may script; give it to
    the shop with make_app(sandbox.url, vdm_client=scripted_vdm)."""
    client = ScriptedVdm(sandbox.url + "/v1")
    yield client
    client.close()


@pytest.fixture
def make_app(tmp_path):
    """Build a shop on the sandbox at `sandbox_url` (or with `vdm_client`); `clock` drives the
    shop's status gates (the 10-second rule) instead of time.monotonic."""
    apps = []

    def make(sandbox_url: str | None = None, vdm_client: VdmClient | None = None, *, clock: Clock | None = None,
             **config):
        settings = {"SHOP_SECRET_KEY": SECRET, "TESTING": True, **config}
        if sandbox_url:
            settings["VDM_API_URL"] = sandbox_url + "/v1"
        app = create_app(settings, instance_path=str(tmp_path / "shop-instance"), vdm_client=vdm_client)
        if clock is not None:
            gates = app.extensions["box_office"].gates
            assert hasattr(gates, "clock"), "with Redis the gates are Redis's: its own time, not a test's clock"
            gates.clock = clock
        apps.append(app)
        return app

    yield make
    for app in apps:  # each shop has a catalogue refresher thread: stop it with the test
        app.extensions["box_office"].catalogue.stop()


@pytest.fixture
def app(make_app, sandbox):
    return make_app(sandbox.url)


@pytest.fixture
def web(app):
    return app.test_client()


@pytest.fixture
def buyer(web) -> Buyer:
    """A buyer who reads English, at the shop on the sandbox."""
    return Buyer(web, "en")


@pytest.fixture
def recorded(sandbox) -> list[str]:
    """Every path the sandbox (VdM) is asked for during the test."""
    return record_paths(sandbox)


@pytest.fixture
def fake_upstream():
    fake = FakeUpstream()
    yield fake
    fake.stop()


@pytest.fixture
def fake_client(fake_upstream) -> VdmClient:
    client = VdmClient(fake_upstream.url + "/v1", "demo", connect_timeout=1, read_timeout=0.5, retries=2, backoff=0)
    yield client
    client.close()


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server of its own on a free port, gone after the test."""
    import socket
    import subprocess
    import time

    import redis
    from tools import redis_server

    binary = redis_server()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
