"""The sandbox stands alone: `vdm_sandbox` imports nothing of the shop, `vdm-sandbox` serves it
after `pip install`, and its settings are checked in one place, naming the variable at fault."""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
import requests
from demo import DE_STORM_FIRST, IDEAL, STANDARD
from helpers import PAY, csrf_token

from vdm_sandbox import create_app
from vdm_sandbox.cli import main
from vdm_sandbox.settings import SandboxSettings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r"^VdM sandbox: (http://127\.0\.0\.1:(\d+)/v1/demo/)$")


def test_the_sandbox_imports_nothing_of_the_shop():
    done = subprocess.run(
        [sys.executable, "-c", "import vdm_sandbox, vdm_sandbox.api, vdm_sandbox.pages, vdm_sandbox.cli, sys; "
                               "print(sorted(m for m in sys.modules if m == 'shop' or m.startswith('shop.')))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- vdm-sandbox, the command -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command:
    """`vdm-sandbox` from the venv's bin, started in a folder of its own with no settings of the developer's."""

    def __init__(self, tmp_path: Path, *options: str):
        script = Path(sys.executable).parent / "vdm-sandbox"
        if not script.exists():
            pytest.fail(f"{script} is missing: `pip install -e .` installs the vdm-sandbox command")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VDM_", "SHOP_", "SANDBOX_"))}
        env["SANDBOX_INSTANCE_PATH"] = str(tmp_path / "instance")
        self.port = _free_port()
        self.proc = subprocess.Popen([str(script), "--port", str(self.port), *options], cwd=tmp_path, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout], daemon=True).start()

    def base_url(self) -> str:
        """The URL the command prints, once it is listening."""
        try:
            first = self.lines.get(timeout=30).rstrip("\n")
        except queue.Empty:
            self.proc.kill()
            pytest.fail(f"vdm-sandbox printed nothing in 30 s: {self.proc.communicate()[1][-2000:]}")
        match = URL_LINE.match(first)
        assert match and int(match.group(2)) == self.port, first
        return match.group(1)

    def stop(self) -> str:
        self.proc.terminate()
        _, errors = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, errors[-2000:]
        return errors


def test_the_command_serves_the_api_and_the_payment_page(tmp_path):
    command = Command(tmp_path)
    try:
        base = command.base_url()
        events = requests.get(base + "events/upcoming", timeout=10)
        assert events.status_code == 200 and "De Storm" in [e["event_name"] for e in events.json()]
        cart = requests.post(base + "cart/", timeout=10)
        assert cart.status_code == 201
        cart_id = cart.json()["cart_id"]
        added = requests.post(f"{base}cart/{cart_id}", json={"event_id": DE_STORM_FIRST, "numberoftickets": 2,
                                                             "discount_id": STANDARD}, timeout=10).json()
        assert added[-1] == {"totalprice": "49.00"}
        created = requests.post(base + "order/create", timeout=10, json={
            "cart_id": cart_id, "payment_id": IDEAL, "redirectURL": "https://shop.example/return",
            "email": "ann@example.org", "firstname": "Ann", "lastname": "Smit"}).json()[0]
        # The payment page, on the address the command was asked on.
        assert created["url"].startswith(base.removesuffix("v1/demo/") + "sandbox/pay/")
        browser = requests.Session()
        page = browser.get(created["url"], timeout=10)
        assert page.status_code == 200 and "€ 49.00" in page.text
        paid = browser.post(created["url"], data={"csrf_token": csrf_token(page.text), PAY: "x"}, allow_redirects=False,
                            timeout=10)
        assert paid.status_code == 303
        assert paid.headers["Location"] == f"https://shop.example/return?return={created['order_key']}"
        status = requests.get(f"{base}order/{created['order_key']}", timeout=10).json()
        assert status["order_payment_status"] == "paid" and status["order_tickets_nr"] == 2
        assert requests.get(status["order_tickets_url"], timeout=10).text.count('class="ticket"') == 2
        assert requests.get(base.removesuffix("v1/demo/") + "sandbox/static/sandbox.css", timeout=10).ok
    finally:
        errors = command.stop()
    assert "Traceback" not in errors, errors[-3000:]
    assert (tmp_path / "instance" / "sandbox.sqlite3").exists()


def test_the_command_takes_a_catalogue_and_a_delay(tmp_path):
    command = Command(tmp_path, "--catalogue", "large:5", "--delay-ms", "300")
    try:
        base = command.base_url()
        started = time.monotonic()
        events = requests.get(base + "events", timeout=10).json()
        assert time.monotonic() - started >= 0.3
        assert len(events) == 5
    finally:
        command.stop()


@pytest.mark.parametrize("options, message", [
    (["--delay-ms", "soon"], "--delay-ms: SANDBOX_DELAY_MS must be a number"),
    (["--catalogue", "large:0"], "--catalogue: SANDBOX_CATALOGUE must be large or large:<number of shows"),
    (["--catalogue", "no-such-file.json"], "--catalogue: SANDBOX_CATALOGUE must be a catalogue JSON file"),
    (["--port", "70000"], "--port must be 0 to 65535"),
])
def test_the_command_refuses_bad_options(capsys, monkeypatch, tmp_path, options, message):
    monkeypatch.setenv("SANDBOX_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        main(options)
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_the_command_names_a_bad_variable(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SANDBOX_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SANDBOX_CART_MINUTES", "0")
    with pytest.raises(SystemExit) as stopped:
        main([])
    assert stopped.value.code == 2
    assert "vdm-sandbox: SANDBOX_CART_MINUTES must be at least 0.01" in capsys.readouterr().err


# --- the settings ----------------------------------------------------------------------------


def test_the_defaults(tmp_path):
    settings = SandboxSettings.from_env({}, instance_path=str(tmp_path))
    assert settings == SandboxSettings(instance_path=str(tmp_path), db=str(tmp_path / "sandbox.sqlite3"),
                                       catalogue=None, pending_seconds=30, cart_minutes=30, delay_ms=0,
                                       public_url="", secret_key=None,
                                       api_key=(tmp_path / "api_key").read_text())  # generated, kept
    with pytest.raises(FrozenInstanceError):
        settings.db = "elsewhere"  # type: ignore[misc]


def test_values_are_read_into_their_types(tmp_path):
    catalogue = tmp_path / "venue.json"
    catalogue.write_text("{}")
    settings = SandboxSettings.from_env({
        "SANDBOX_INSTANCE_PATH": str(tmp_path / "here"), "SANDBOX_CATALOGUE": f" {catalogue} ",
        "SANDBOX_PENDING_SECONDS": "5", "SANDBOX_CART_MINUTES": 0.5, "SANDBOX_DELAY_MS": "250",
        "SANDBOX_PUBLIC_URL": "https://sandbox.example", "SANDBOX_SECRET_KEY": "k" * 40,
    })
    assert (settings.instance_path, settings.db) == (str(tmp_path / "here"), str(tmp_path / "here" / "sandbox.sqlite3"))
    assert settings.catalogue == str(catalogue) and settings.pending_seconds == 5.0
    assert (settings.cart_minutes, settings.cart_seconds, settings.delay) == (0.5, 30.0, 0.25)
    assert settings.public_url == "https://sandbox.example" and settings.secret_key == "k" * 40
    assert "secret_key" not in settings.as_dict()
    # An instance folder given by the caller (the shop gives its own) wins over the variable.
    assert SandboxSettings.from_env({"SANDBOX_INSTANCE_PATH": "/elsewhere"},
                                    instance_path=str(tmp_path)).instance_path == str(tmp_path)


def test_the_environment_is_read_when_nothing_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("SANDBOX_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SANDBOX_DELAY_MS", "12")
    assert SandboxSettings.from_env().delay_ms == 12
    app = create_app()
    assert app.extensions["sandbox"].settings.delay_ms == 12 and app.instance_path == str(tmp_path)
    assert (tmp_path / "secret_key").exists()  # no SANDBOX_SECRET_KEY: one is made and kept


@pytest.mark.parametrize("name, value, message", [
    ("SANDBOX_INSTANCE_PATH", "{file}", "must be a folder"),
    ("SANDBOX_DB", "{folder}", "must be a file"),
    ("SANDBOX_CATALOGUE", "{folder}/missing.json", "there is no file"),
    ("SANDBOX_CATALOGUE", "large:x", "large:<number of shows"),
    ("SANDBOX_PENDING_SECONDS", "soon", "must be a number"),
    ("SANDBOX_PENDING_SECONDS", "-1", "at least 0"),
    ("SANDBOX_CART_MINUTES", "0", "at least 0.01"),
    ("SANDBOX_CART_MINUTES", "inf", "finite"),
    ("SANDBOX_DELAY_MS", "nan", "finite"),
    ("SANDBOX_DELAY_MS", "-5", "at least 0"),
    ("SANDBOX_PUBLIC_URL", "sandbox.example", "http(s) URL"),
    ("SANDBOX_PUBLIC_URL", "//sandbox.example", "http(s) URL"),
    ("SANDBOX_SECRET_KEY", "short", "too short"),
])
def test_a_bad_value_is_an_error_naming_its_variable(tmp_path, name, value, message):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    env = {name: value.format(file=tmp_path / "file", folder=tmp_path / "folder")}
    # The instance folder the caller gives wins over SANDBOX_INSTANCE_PATH: give none when testing that.
    folder = None if name == "SANDBOX_INSTANCE_PATH" else str(tmp_path)
    with pytest.raises(SettingsError) as caught:
        SandboxSettings.from_env(env, instance_path=folder)
    assert caught.value.variable == name and str(caught.value).startswith(name + " ") and message in str(caught.value)
    with pytest.raises(SettingsError, match=name):  # the same through create_app
        create_app(env, instance_path=folder)


def test_a_catalogue_that_cannot_be_read_is_named(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"events": []}))  # no locations, ticket types or payment methods
    with pytest.raises(SettingsError, match="SANDBOX_CATALOGUE") as caught:
        create_app({"SANDBOX_CATALOGUE": str(broken)}, instance_path=str(tmp_path))
    assert caught.value.variable == "SANDBOX_CATALOGUE"
