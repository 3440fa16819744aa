"""The app factory, its configuration, and the shop running on the sandbox."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shop import create_app
from shop.settings import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_home_lists_upcoming_shows(web):
    page = web.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in ("De Storm", "Nachtvlinders", "Messiah"):
        assert name in text
    # Soonest first: Nachtvlinders (in 5 days) before De Storm (in 9).
    assert text.index("Nachtvlinders") < text.index("De Storm")


def test_default_mode_serves_the_built_in_sandbox(tmp_path):
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert app.config["VDM_API_URL"] == ""
    page = app.test_client().get("/")
    assert page.status_code == 200 and "De Storm" in page.get_data(as_text=True)
    # The client went over HTTP to a sandbox on a loopback port, not through a shortcut.
    client = app.extensions["box_office"].client()
    assert client.root.startswith("http://127.0.0.1:") and client.root.endswith("/v1/demo/")
    # Its pages and images are on the shop's own address.
    assert app.test_client().get("/sandbox/static/images/storm.svg").status_code == 200
    assert (tmp_path / "sandbox.sqlite3").exists() and (tmp_path / "secret_key").exists()


def test_real_api_without_secret_key_is_a_start_up_error(tmp_path, monkeypatch):
    monkeypatch.setenv("VDM_API_URL", "https://api.voordemensen.nl/v1")
    with pytest.raises(ConfigError, match="SHOP_SECRET_KEY"):
        create_app(instance_path=str(tmp_path))
    monkeypatch.setenv("SHOP_SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigError, match="SHOP_BASE_URL"):
        create_app(instance_path=str(tmp_path))
    monkeypatch.setenv("SHOP_BASE_URL", "https://tickets.example-theatre.nl")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "x" * 40 and "sandbox" not in app.extensions


@pytest.mark.parametrize("name, value, message", [
    ("VDM_API_URL", "ftp://example.org", "http"),
    ("VDM_READ_TIMEOUT", "soon", "number"),
    ("VDM_CLIENT_NAME", "../x", "short name"),
    ("SHOP_BASE_URL", "shop.example", "http"),
    # The built-in sandbox's settings, read by the sandbox's own rules (vdm_sandbox/settings.py).
    ("SANDBOX_CART_MINUTES", "0", "at least"),
    ("SANDBOX_DELAY_MS", "slow", "number"),
    ("SANDBOX_CATALOGUE", "/no/such/catalogue.json", "no file"),
])
def test_bad_settings_are_named(tmp_path, monkeypatch, name, value, message):
    monkeypatch.setenv("SHOP_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SHOP_BASE_URL", "https://tickets.example-theatre.nl")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name) as caught:
        create_app(instance_path=str(tmp_path))
    assert message in str(caught.value)


def test_upstream_down_shows_a_friendly_503(make_app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(f"http://127.0.0.1:{port}")
    page = app.test_client().get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "box office cannot be reached" in text and "Traceback" not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(command: list[str], tmp_path, port: int):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VDM_", "SHOP_", "SANDBOX_"))}
    env["SHOP_INSTANCE_PATH"] = str(tmp_path / "instance")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/sandbox/static/sandbox.css", timeout=1)
            return proc
        except (requests.ConnectionError, requests.Timeout):
            # Not up yet: gunicorn's socket takes the request before a worker has booted, and on
            # a busy machine booting may take longer than the 1-second read time-out.
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"{command[0]} did not start: {proc.stderr.read()[-2000:]}")


@pytest.mark.parametrize("server", ["gunicorn", "flask"])
def test_zero_configuration_under_real_servers(tmp_path, server):
    """A fresh clone serves the programme from the sandbox under `flask run` and under
    two sync gunicorn workers, which could deadlock if the shop called itself."""
    port = _free_port()
    bindir = Path(sys.executable).parent
    if server == "gunicorn":
        command = [str(bindir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "shop:create_app()"]
    else:
        command = [str(bindir / "flask"), "--app", "shop", "run", "--port", str(port)]
    proc = _serve(command, tmp_path, port)
    try:
        pages = [requests.get(f"http://127.0.0.1:{port}/", timeout=10) for _ in range(6)]
    finally:
        proc.terminate()
        errors = proc.communicate(timeout=10)[1]
    for page in pages:
        assert page.status_code == 200 and "De Storm" in page.text, errors[-3000:]


def test_workers_starting_together_share_one_complete_secret(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from vdm_sandbox.settings import instance_secret  # the shop's built-in mode keeps its key the same way

    with ThreadPoolExecutor(max_workers=16) as pool:
        keys = set(pool.map(lambda _: instance_secret(str(tmp_path)), range(64)))
    assert len(keys) == 1 and len(keys.pop()) >= 40
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_typed_overrides_are_taken_when_they_fit_the_setting(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_PAYMENT_METHODS=[35, 33], SHOP_FIELDS_HIDDEN=["city"], SHOP_TRUST_PROXY=True,
                   VENUE_CONTACT=["Plein 1, Utrecht", "030 123 4567"])
    settings = app.extensions["settings"]
    assert settings.shop_payment_methods == (35, 33) and settings.shop_fields_hidden == ("city",)
    assert settings.shop_trust_proxy == 1 and settings.venue_contact == ("Plein 1, Utrecht", "030 123 4567")
    assert app.config["SHOP_PAYMENT_METHODS"] == (35, 33)


@pytest.mark.parametrize("name, value", [("SHOP_PAYMENT_METHODS", {"a": 1}), ("SHOP_PAYMENT_METHODS", [True]),
                                         ("VDM_READ_TIMEOUT", [1]), ("VENUE_NAME", 5), ("SHOP_FIELDS_HIDDEN", "price"),
                                         ("SHOP_NO_SUCH_SETTING", "1"), ("SHOP_TRUST_PROXY", "yes")])
def test_a_wrong_override_names_the_setting(make_app, sandbox, name, value):
    with pytest.raises(ConfigError, match=name):
        make_app(sandbox.url, **{name: value})


def test_the_contact_fields_are_vdms_and_written_once():
    """The checkout form's fields, the settings' optional fields and VdM's order body agree:
    a new field is added to `Customer` (VdM's names) and the form, and nowhere else."""
    from dataclasses import fields

    from shop.settings import CUSTOMER_FIELDS
    from shop.vdm import Customer
    from shop.views.forms import CheckoutForm

    text_fields = [f.name for f in fields(Customer) if f.type == "str"]
    assert list(CheckoutForm.AUTOCOMPLETE) == text_fields
    assert set(CUSTOMER_FIELDS) == {f.name for f in fields(Customer) if f.default == ""} < set(text_fields)
