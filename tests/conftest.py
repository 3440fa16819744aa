"""Fixtures: a live sandbox on a free port, a VdM client on it, and the shop built on it."""

from __future__ import annotations

import json
import os
import re as _re
import threading
import time

import pytest

from shop import create_app
from shop.vdm import VdmClient
from vdm_sandbox import create_app as create_sandbox
from vdm_sandbox.catalogue import DEMO_CATALOGUE
from vdm_sandbox.server import serve_in_thread

# Tests never pick up a developer's own settings.
for name in list(os.environ):
    if name.startswith(("VDM_", "SHOP_", "SANDBOX_")) and name != "VDM_LIVE_CLIENT":
        del os.environ[name]

SECRET = "test-secret-key-not-for-production"


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server, self.url = serve_in_thread(app)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def demo_catalogue() -> dict:
    return json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))


class Clock:
    """A clock for the sandbox's store (its `clock`) that moves only when a test moves it."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
def make_app(tmp_path):
    apps = []

    def make(sandbox_url: str | None = None, vdm_client: VdmClient | None = None, **config):
        settings = {"SHOP_SECRET_KEY": SECRET, "TESTING": True, **config}
        if sandbox_url:
            settings["VDM_API_URL"] = sandbox_url + "/v1"
        app = create_app(settings, instance_path=str(tmp_path / "shop-instance"), vdm_client=vdm_client)
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


class FakeUpstream:
    """An HTTP server that answers whatever a test tells it to, and counts the requests."""

    def __init__(self):
        self.routes: dict[tuple[str, str], tuple] = {}
        self.calls: list[tuple[str, str]] = []
        self.raw_paths: list[str] = []
        self.lock = threading.Lock()
        self.server, self.url = serve_in_thread(self.wsgi)

    def answer(self, method: str, path: str, status: int = 200, body=b"", delay: float = 0,
               content_type: str = "application/json", trickle: float = 0):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.routes[(method, "/v1/demo/" + path)] = (status, body, delay, content_type, trickle)

    def count(self, method: str, path: str) -> int:
        return self.calls.count((method, "/v1/demo/" + path))

    def wsgi(self, environ, start_response):
        import time

        key = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        with self.lock:
            self.calls.append(key)
            self.raw_paths.append(environ.get("RAW_URI", ""))
        status, body, delay, content_type, trickle = self.routes.get(key, (404, b'{"message": "Not found"}', 0, "application/json", 0))
        time.sleep(delay)
        headers = [("Content-Type", content_type)]
        if 300 <= status < 400:  # somewhere a client that follows redirects would go next
            headers.append(("Location", "/v1/demo/events"))
        start_response(f"{status} X", headers)
        if trickle:
            def slowly():
                for i in range(0, len(body), 4):
                    time.sleep(trickle)
                    yield body[i:i + 4]
            return slowly()
        return [body]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


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


# --- helpers for pages ---------------------------------------------------------------------

TOKEN = _re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def checkout_fields(html: str) -> dict:
    """The hidden fields of the checkout form: the CSRF token and the cart it shows."""
    fields = {name: _re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)
              for name in ("cart_id", "cart_version")}
    return {"csrf_token": csrf_token(html), **fields}


def submit(web, url: str, data: dict, page: str | None = None, **kwargs):
    """POST a form the way a browser does: with the CSRF token of the page it is on."""
    html = web.get(page or url, **kwargs).get_data(as_text=True)
    return web.post(url, data={"csrf_token": csrf_token(html), **data}, **kwargs)


def catalogue_ready(app, seconds: float = 10):
    """Wait until the shop has its first complete catalogue snapshot (prices included)."""
    import time

    catalogue = app.extensions["box_office"].catalogue
    deadline = time.monotonic() + seconds
    while (catalogue.current() is None or not catalogue.current().complete) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert catalogue.current() is not None and catalogue.current().complete, "no catalogue snapshot in time"
    return catalogue.current()


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server of its own on a free port, gone after the test."""
    import socket
    import subprocess
    import time

    from tools import redis_server

    binary = redis_server()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

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


def submit_together(shop_urls: list[str], details: dict) -> list:
    """One buyer fills a cart at the first shop, then the same checkout is sent to every URL
    at once (double clicks, tabs, hosts behind a load balancer). Returns the answers."""
    import threading

    import requests

    browser = requests.Session()
    page = browser.get(shop_urls[0] + "/performances/101", timeout=10).text
    browser.post(shop_urls[0] + "/performances/101", data={"csrf_token": csrf_token(page), "qty_2ePdA8q3BN": "1"},
                 timeout=10)
    form = {**checkout_fields(browser.get(shop_urls[0] + "/checkout/", timeout=10).text), **details}
    cookies, answers = browser.cookies.get_dict(), []

    def send(url):
        answers.append(requests.post(url + "/checkout/", data=form, cookies=cookies, allow_redirects=False,
                                     timeout=20))

    threads = [threading.Thread(target=send, args=(url,)) for url in shop_urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
