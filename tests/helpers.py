"""The tests' one vocabulary: a `Buyer` who opens pages, adds tickets, checks out and pays (in
the words of tests/test_browser.py, through Flask's test client or over HTTP), and the few
helpers around it: the forms' hidden fields, a live server on a free port, a clock that moves
only when a test moves it, what the sandbox was asked and what it holds.

Fixtures are in conftest.py; named ids for the demo venue in demo.py; fake and scripted VdM
clients in fakes.py."""

from __future__ import annotations

import html
import re
import sqlite3
import threading
import time

import requests
from demo import DE_STORM_FIRST, IDEAL, STANDARD

from vdm_sandbox.server import serve_in_thread

SECRET = "test-secret-key-not-for-production"

# A buyer's details that the checkout accepts (iDEAL: no cost on top).
ANN = {"email": "ann@example.org", "firstname": "Ann", "lastname": "Smit", "payment_id": str(IDEAL)}
# The choices on the sandbox's payment page.
PAY, PENDING, CANCEL, PARTIAL = "pay", "pending", "cancel", "partial"


# --- pages and forms -----------------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def text(response) -> str:
    """The body of an answer: Flask's test client's, or requests'."""
    if hasattr(response, "get_data"):
        return response.get_data(as_text=True)
    return response.text


def language_link(page: str, code: str) -> str:
    """Where the header's switch to language `code` goes (as written in the page's HTML)."""
    match = re.search(rf'<a href="([^"]*)" class="lang" lang="{code}"', page)
    assert match, f"no link to {code} in the header"
    return match.group(1)


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def checkout_fields(html: str) -> dict:
    """The hidden fields of the checkout form: the CSRF token and the cart it shows."""
    fields = {}
    for name in ("cart_id", "cart_version"):
        match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
        assert match, f"no {name} on the checkout page"
        fields[name] = match.group(1)
    return {"csrf_token": csrf_token(html), **fields}


def order_key(answer) -> str:
    """The order a checkout's redirect is about (to the payment page or to the order page)."""
    return answer.headers["Location"].rsplit("/", 1)[1]


# --- the buyer -----------------------------------------------------------------------------------


class OverHttp:
    """A browser without a screen for a shop served on a port: `get` and `post` like Flask's test
    client (no redirects followed), through one requests session with its cookies."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()

    def _where(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.url + path

    def get(self, path: str, headers: dict | None = None) -> requests.Response:
        return self.session.get(self._where(path), headers=headers, allow_redirects=False, timeout=20)

    def post(self, path: str, data: dict | None = None, headers: dict | None = None) -> requests.Response:
        return self.session.post(self._where(path), data=data, headers=headers, allow_redirects=False, timeout=20)


class Buyer:
    """One person at the shop, in the browser tests' words: opens pages, adds tickets, checks out
    and pays. `Buyer(web)` goes through Flask's test client `web`; `Buyer.at(url)` over HTTP to a
    shop served on a port. Every answer is the client's own (status_code, headers, `text()`).

    `language` is what the browser asks for (Accept-Language; None asks for nothing, so the
    shop's default), `address` where it comes from (test client only)."""

    def __init__(self, web, language: str | None = "en", *, address: str | None = None):
        self.web = web
        self.language = language
        self.address = address
        self.payment_url: str | None = None  # where the last checkout sent the buyer

    @classmethod
    def at(cls, url: str, language: str | None = "en") -> Buyer:
        return cls(OverHttp(url), language)

    # --- pages

    def _options(self, language: str | None = None, headers: dict | None = None) -> dict:
        language = language or self.language
        options = {"headers": {**({"Accept-Language": language} if language else {}), **(headers or {})}}
        if self.address:
            options["environ_base"] = {"REMOTE_ADDR": self.address}
        return options

    def opens(self, path: str, *, language: str | None = None, headers: dict | None = None):
        return self.web.get(path, **self._options(language, headers))

    def reads(self, path: str, *, language: str | None = None) -> str:
        """The page at `path`, which must be there."""
        answer = self.opens(path, language=language)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
        return text(answer)

    def switches_language(self, code: str, *, on: str = "/"):
        """Clicks the header's link to language `code` on the page at `on`; returns that page."""
        link = language_link(self.reads(on), code)
        return self.opens(html.unescape(link))

    def posts(self, path: str, data: dict, *, language: str | None = None, headers: dict | None = None):
        """A form sent as it is (a test that wants no token, or an old one)."""
        return self.web.post(path, data=data, **self._options(language, headers))

    def sends(self, path: str, data: dict, *, page: str | None = None, language: str | None = None):
        """A form sent from its page (`path`, or `page`), with that page's CSRF token."""
        token = csrf_token(text(self.opens(page or path, language=language)))
        return self.posts(path, {"csrf_token": token, **data}, language=language)

    # --- the cart

    def adds(self, performance: int, *, language: str | None = None, **quantities):
        """Tickets for `performance`: adds(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: 1}). A
        quantity is sent as typed: a number, or any text."""
        data = {f"qty_{ticket_type}": str(quantity) for ticket_type, quantity in quantities.items()}
        return self.sends(f"/performances/{performance}", data, language=language)

    def has_tickets(self, performance: int, **quantities) -> None:
        """adds(), which must succeed: the start of most stories."""
        answer = self.adds(performance, **quantities)
        assert answer.status_code == 303, f"adding to the cart: {answer.status_code}"

    def removes(self, seat_id: str):
        return self.sends("/cart/remove", {"seat_id": seat_id}, page="/cart/")

    def cart(self, *, language: str | None = None) -> str:
        """The cart page."""
        return text(self.opens("/cart/", language=language))

    def cart_count(self, html: str | None = None) -> int:
        """The number of tickets in the header's cart badge (of `html`, or of the cart page)."""
        return int(re.search(r'class="badge">(\d+)<', html or self.cart()).group(1))

    # --- checkout and payment

    def checkout_form(self) -> dict:
        """The checkout page's hidden fields, as the form the buyer fills in has them."""
        return checkout_fields(self.reads("/checkout/"))

    def checks_out(self, form: dict | None = None, **details):
        """Fill in the checkout form (a fresh one, or `form`) with Ann's details, changed by
        `details` (None leaves a field out), and send it. Returns the answer."""
        data = {**(self.checkout_form() if form is None else form), **ANN, **details}
        answer = self.posts("/checkout/", {name: value for name, value in data.items() if value is not None})
        if answer.status_code == 303:
            self.payment_url = answer.headers["Location"]
        return answer

    def places_order(self, **details) -> str:
        """checks_out(), which must make an order; returns its key."""
        answer = self.checks_out(**details)
        assert answer.status_code == 303, f"checkout: {answer.status_code}\n{text(answer)[-2000:]}"
        return order_key(answer)

    def pays(self, choice: str = PAY):
        """On the payment page the last checkout sent the buyer to: PAY, PENDING, CANCEL or
        PARTIAL. Returns the shop's order page the buyer is sent back to."""
        assert self.payment_url, "no checkout sent this buyer to a payment page"
        if self.payment_url.startswith("/"):  # the built-in sandbox's page, on the shop's own site
            answer = self.sends(self.payment_url, {choice: "x"})
            assert answer.status_code == 303, answer.status_code
            back = answer.headers["Location"]
        else:
            back = choose_on_payment_page(self.payment_url, choice)
        return self.follows(self.opens(back))

    def follows(self, answer, limit: int = 5):
        """Follow the shop's redirects from `answer` to the page they end on."""
        for _ in range(limit):
            if answer.status_code not in (301, 302, 303):
                return answer
            answer = self.opens(answer.headers["Location"])
        raise AssertionError("too many redirects")


def choose_on_payment_page(url: str, choice: str) -> str:
    """Act as the buyer on the sandbox's payment page; returns where it sends the browser."""
    session = requests.Session()
    page = session.get(url, timeout=5)
    assert page.status_code == 200, f"payment page: {page.status_code}"
    answer = session.post(url, data={"csrf_token": csrf_token(page.text), choice: "x"}, allow_redirects=False,
                          timeout=5)
    assert answer.status_code == 303, f"payment page: {answer.status_code}"
    return answer.headers["Location"]


def submit_together(shop_urls: list[str], details: dict | None = None) -> list:
    """One buyer fills a cart at the first shop, then the same checkout is sent to every URL
    at once (double clicks, tabs, hosts behind a load balancer). Returns the answers."""
    buyer = Buyer.at(shop_urls[0])
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    form = {**buyer.checkout_form(), **ANN, **(details or {})}
    cookies, answers = buyer.web.session.cookies.get_dict(), []

    def send(url):
        answers.append(requests.post(url + "/checkout/", data=form, cookies=cookies, allow_redirects=False,
                                     timeout=20))

    threads = [threading.Thread(target=send, args=(url,)) for url in shop_urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# --- servers, time and VdM -----------------------------------------------------------------------


class LiveServer:
    """A WSGI app served on a free port of 127.0.0.1 in a thread of this process."""

    def __init__(self, app):
        self.app = app
        self.server, self.url = serve_in_thread(app)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Clock:
    """A clock that moves only when a test moves it: for the sandbox's store (start_sandbox's
    `clock`) and the shop's status gates (make_app's `clock`)."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def catalogue_ready(app, seconds: float = 10):
    """Wait until the shop has its first complete catalogue snapshot (prices included)."""
    catalogue = app.extensions["box_office"].catalogue
    deadline = time.monotonic() + seconds
    while (catalogue.current() is None or not catalogue.current().complete) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert catalogue.current() is not None and catalogue.current().complete, "no catalogue snapshot in time"
    return catalogue.current()


def vdm_calls(app) -> list[str]:
    """The paths the shop asks VdM for from now on (through its client's own `on_call` hook)."""
    calls: list[str] = []
    app.extensions["box_office"].client().on_call = lambda method, path, seconds: calls.append(path)
    return calls


def in_front_of(sandbox, when, how) -> None:
    """Put a fault in front of the sandbox for the requests `when(method, path)` picks: `how`
    answers them instead (a WSGI app). sandbox.server.app = sandbox.app takes it away."""
    app = sandbox.server.app

    def faulty(environ, start_response):
        if when(environ["REQUEST_METHOD"], environ["PATH_INFO"]):
            return how(environ, start_response)
        return app(environ, start_response)

    sandbox.server.app = faulty


def slow_by(seconds: float, sandbox):
    """A WSGI app for in_front_of: the sandbox's own answer, `seconds` late."""
    def slow(environ, start_response):
        time.sleep(seconds)
        return sandbox.app(environ, start_response)
    return slow


def record_paths(sandbox, raw: bool = False) -> list[str]:
    """Every path the sandbox (VdM) is asked for from now on; `raw` as sent (RAW_URI)."""
    paths: list[str] = []
    app = sandbox.server.app

    def record(environ, start_response):
        paths.append((raw and environ.get("RAW_URI")) or environ["PATH_INFO"])
        return app(environ, start_response)

    sandbox.server.app = record
    return paths


def orders_in(sandbox) -> list[sqlite3.Row]:
    """The orders the sandbox holds, as rows of its database."""
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM orders").fetchall()
    finally:
        db.close()


def run_smoke(script: str, seconds: float, folder) -> str:
    """Run `python <script> --smoke` from the top of the repository and return what it printed.
    Past `seconds` the run is stopped (it stops its servers on the way out) and the test fails."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    out_file = Path(folder) / (Path(script).stem + ".out")
    with open(out_file, "w") as sink:
        run = subprocess.Popen([sys.executable, script, "--smoke"], cwd=Path(__file__).resolve().parent.parent,
                               stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            run.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGTERM)
            run.wait(timeout=60)
            pytest.fail(f"{script} --smoke took over {seconds:g} s:\n" + out_file.read_text())
    out = out_file.read_text()
    assert run.returncode == 0, out
    return out
