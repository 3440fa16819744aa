"""Faults, rushes and hostile visitors (issue 11): bodies too large to read, values that are
not strings, ids with a trailing newline, invisible names, log lines that must stay JSON,
forwarded headers from a proxy that is not trusted, and weak secret keys."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from demo import CREDITCARD, DE_STORM_FIRST, STANDARD
from helpers import PARTIAL, PAY, SECRET, Buyer, LiveServer, csrf_token, orders_in, text, vdm_calls
from tools import require
from werkzeug.test import EnvironBuilder, run_wsgi_app

ROOT = Path(__file__).resolve().parent.parent
FORM = "application/x-www-form-urlencoded"
EN = {"Accept-Language": "en"}
PERFORMANCE = f"/performances/{DE_STORM_FIRST}"


class Body(io.RawIOBase):
    """A request body of `size` bytes that counts what the shop reads of it."""

    def __init__(self, size: int):
        self.size, self.sent = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.sent)
        buffer[:n] = b"a" * n
        self.sent += n
        return n


def send(app, path: str, body: Body, *, length: int | None, content_type: str = FORM, headers=None,
         streamed: bool = False):
    """POST straight into the WSGI app: a declared Content-Length, or (`streamed`) none at all, as a
    server that takes chunked bodies passes them on (with wsgi.input_terminated)."""
    environ = EnvironBuilder(path=path, method="POST", headers={**EN, **(headers or {})}).get_environ()
    environ.update({"wsgi.input": body, "CONTENT_TYPE": content_type})
    environ.pop("CONTENT_LENGTH", None)
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    if streamed:
        environ.update({"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    started = time.monotonic()
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    page = b"".join(app_iter).decode()
    return int(status.split()[0]), page, time.monotonic() - started


# --- 1. request bodies are bounded ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cart/remove", "/checkout/", PERFORMANCE])
def test_an_oversized_body_is_refused_unread(app, path):
    body = Body(300_000_000)
    status, page, seconds = send(app, path, body, length=300_000_000)
    assert status == 413 and body.sent == 0 and seconds < 2
    assert "far larger than any form" in page and "Nothing was changed or ordered" in page and "Traceback" not in page


def test_an_oversized_json_body_with_a_token_is_refused_unread(app):
    web = app.test_client()
    token = csrf_token(text(web.get(PERFORMANCE)))
    body = Body(200_000_000)
    status, _page, _seconds = send(app, PERFORMANCE, body, length=200_000_000, content_type="application/json",
                                   headers={"X-CSRFToken": token})
    assert status == 413 and body.sent == 0


@pytest.mark.parametrize("path", ["/cart/remove", "/checkout/", PERFORMANCE])
def test_a_streamed_body_without_length_is_cut_off_at_the_limit(app, path):
    body = Body(50_000_000)  # as a chunked upload that goes on and on
    status, page, seconds = send(app, path, body, length=None, streamed=True)
    assert status == 413 and "far larger than any form" in page and seconds < 5
    assert body.sent <= app.config["SHOP_MAX_BODY_BYTES"] + 64 * 1024


def test_a_streamed_form_under_the_limit_is_read_whole(web):
    token = csrf_token(text(web.get(PERFORMANCE)))
    form = f"csrf_token={token}&qty_{STANDARD}=1&pad={'x' * 30000}".encode()
    answer = web.post(PERFORMANCE, input_stream=io.BytesIO(form), content_type=FORM,
                      headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert answer.status_code == 303 and answer.headers["Location"] == "/cart/"
    assert Buyer(web).cart_count() == 1  # the ticket was added: the whole form was read


def test_the_limit_is_a_setting_and_ordinary_forms_fit(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_MAX_BODY_BYTES="8192")
    assert app.config["MAX_CONTENT_LENGTH"] == app.config["MAX_FORM_MEMORY_SIZE"] == 8192
    buyer = Buyer(app.test_client())
    fits = buyer.sends(PERFORMANCE, {f"qty_{STANDARD}": "1", "pad": "x" * 7000})
    assert fits.status_code == 303
    too_much = buyer.sends(PERFORMANCE, {f"qty_{STANDARD}": "1", "pad": "x" * 9000})
    assert too_much.status_code == 413 and "far larger than any form" in text(too_much)


def test_the_default_limit_is_far_above_any_form(app):
    assert app.config["SHOP_MAX_BODY_BYTES"] == 64 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024 and app.config["MAX_FORM_PARTS"] <= 200


def test_a_multipart_body_of_many_parts_is_refused(app):
    web = app.test_client()
    answer = web.post("/cart/remove", data={f"f{i}": "1" for i in range(500)}, content_type="multipart/form-data",
                      headers=EN)
    assert answer.status_code == 413


@pytest.mark.parametrize("raw", ["", "0", "abc", "100"])
def test_a_bad_body_limit_stops_the_start(tmp_path, raw):
    from shop.settings import ConfigError, shop_settings

    if raw == "":
        assert shop_settings({}, str(tmp_path))["SHOP_MAX_BODY_BYTES"] == 64 * 1024
        return
    with pytest.raises(ConfigError, match="SHOP_MAX_BODY_BYTES"):
        shop_settings({"SHOP_MAX_BODY_BYTES": raw}, str(tmp_path))


def test_a_refused_body_is_logged(app):
    import json
    import logging

    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logging.getLogger("shop.requests").addHandler(handler)
    try:
        send(app, "/cart/remove", Body(1_000_000), length=1_000_000)
    finally:
        logging.getLogger("shop.requests").removeHandler(handler)
    assert [(line["path"], line["status"]) for line in map(json.loads, lines)] == [("/cart/remove", 413)]


# --- the production server (gunicorn.conf.py) -----------------------------------------------


def start_gunicorn(folder, **env) -> tuple[subprocess.Popen, int]:
    """gunicorn with gunicorn.conf.py on a free port, serving the shop on its built-in sandbox."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("VDM_", "SHOP_", "SANDBOX_", "GUNICORN_"))}
    environ.update({"SHOP_INSTANCE_PATH": str(folder), "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1",
                    "GUNICORN_THREADS": "4", **env})
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=environ, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc, port
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("gunicorn did not start")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory):
    proc, port = start_gunicorn(tmp_path_factory.mktemp("gunicorn"))
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def raw_request(port: int, head: str, body: bytes = b"", seconds: float = 5) -> bytes:
    """Send bytes as they are and return the status line and headers of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as conn:
        conn.sendall(head.encode("latin-1") + body)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            pass
    return answer.split(b"\r\n\r\n")[0]


def test_gunicorn_refuses_an_oversized_body_at_once(gunicorn_port):
    started = time.monotonic()
    head = ("POST /cart/remove HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 300000000\r\n\r\n")
    answer = raw_request(gunicorn_port, head, b"seat_id=" + b"a" * 1000)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert time.monotonic() - started < 3


def test_gunicorn_cuts_off_an_endless_chunked_body(gunicorn_port):
    head = ("POST /cart/remove HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"400\r\n" + b"a" * 1024 + b"\r\n"
    answer = raw_request(gunicorn_port, head, chunk * 100)  # 100 KiB so far, and no end in sight
    assert answer.startswith(b"HTTP/1.1 413"), answer


# --- 3. forms take strings only -----------------------------------------------------------------

REFUSED = "We could not accept that form"
# Every form of the shop, the page its token comes from, and a field to put a non-string in.
ROUTES = {PERFORMANCE: (PERFORMANCE, [f"qty_{STANDARD}"]),
          "/cart/remove": ("/cart/", ["seat_id"]),
          "/checkout/": ("/checkout/", ["email", "firstname", "lastname", "phone", "zip", "address", "city"])}
NOT_STRINGS = [5, 1.5, True, None, {"a": 1}, [1]]


def with_cart(web) -> dict:
    """A buyer with a ticket in the cart, on the checkout page: its token and hidden fields."""
    buyer = Buyer(web)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    return buyer.checkout_form()


@pytest.mark.parametrize("url, field", [(url, field) for url, (_, fields) in ROUTES.items() for field in fields])
@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
def test_json_values_that_are_not_strings_are_refused(web, sandbox, url, field, value):
    form = with_cart(web)
    details = GOOD
    body = {**form, **(details if url == "/checkout/" else {}), field: value}
    answer = web.post(url, json=body, headers={"X-CSRFToken": form["csrf_token"], **EN})
    assert answer.status_code == 415 and REFUSED in text(answer)
    assert orders_in(sandbox) == []


@pytest.mark.parametrize("url", ROUTES)
@pytest.mark.parametrize("body", [[1], "abc", 123, {}], ids=repr)
def test_json_bodies_of_any_shape_are_refused(web, url, body):
    form = with_cart(web)
    answer = web.post(url, json=body, headers={"X-CSRFToken": form["csrf_token"], **EN})
    assert answer.status_code == 415 and REFUSED in text(answer)


def test_a_json_object_as_a_name_never_reaches_the_order(web, sandbox):
    form = with_cart(web)
    body = {**form, **GOOD, "lastname": {"a": 1}}
    answer = web.post("/checkout/", json=body, headers={"X-CSRFToken": form["csrf_token"]})
    assert answer.status_code == 415 and orders_in(sandbox) == []


@pytest.mark.parametrize("url, field", [(url, field) for url, (_, fields) in ROUTES.items() for field in fields])
def test_file_parts_are_refused(web, sandbox, url, field):
    form = with_cart(web)
    details = GOOD
    data = {**form, **(details if url == "/checkout/" else {}), field: (io.BytesIO(b"1"), "x.txt")}
    answer = web.post(url, data=data, content_type="multipart/form-data", headers=EN)
    assert answer.status_code == 400 and REFUSED in text(answer)
    assert orders_in(sandbox) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/octet-stream"])
def test_other_bodies_are_refused(web, content_type):
    form = with_cart(web)
    answer = web.post("/checkout/", data=b"email=ann@example.org", content_type=content_type,
                      headers={"X-CSRFToken": form["csrf_token"], **EN})
    assert answer.status_code == 415 and REFUSED in text(answer)


def test_a_multipart_form_without_files_still_orders(web, sandbox):
    form = with_cart(web)
    details = GOOD
    answer = web.post("/checkout/", data={**form, **details}, content_type="multipart/form-data")
    assert answer.status_code == 303 and len(orders_in(sandbox)) == 1


# --- 4. ids end where they end -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["abc%0A", "abc%0D%0A", "abc%0A%0A", "%0Aabc"])
def test_a_return_key_with_a_newline_is_not_an_order_key(app, web, key):
    calls = vdm_calls(app)
    answer = web.get(f"/order/return?return={key}")
    assert answer.status_code == 400 and "Location" not in answer.headers
    answer = web.get(f"/order/return?response={key}")
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert web.get(f"/order/{key}").status_code == 404
    assert calls == []  # VdM was never asked about it


def test_a_seat_id_with_a_newline_is_not_sent_to_vdm(app, buyer):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    token = csrf_token(buyer.cart())
    calls = vdm_calls(app)
    answer = buyer.posts("/cart/remove", {"csrf_token": token, "seat_id": "abc\n"})
    assert answer.status_code == 303
    assert calls == []
    assert "no longer in your cart" in buyer.cart()


def test_the_id_patterns_match_whole_values():
    from shop.views import forms

    for good in ("abc", "A-b_9", "x" * 64):
        assert forms.ID.match(good) and forms.ID.fullmatch(good)
    for bad in ("abc\n", "\nabc", "abc\r\n", "ab c", "x" * 65, "", "abc\x00"):
        assert not forms.ID.match(bad), repr(bad)
    for bad in ("1\n", "12345", "١", "-1"):
        assert not forms.QUANTITY.match(bad), repr(bad)


# --- 4. names are text that can be printed on a ticket ------------------------------------------

DETAIL_FIELDS = ["firstname", "lastname", "address", "city", "zip", "email", "phone"]
GOOD = {"email": "ann@example.org", "firstname": "Ann", "lastname": "Smit", "address": "Lindeboomstraat 12",
        "city": "Utrecht", "zip": "3511 AB", "phone": "030 123 45 67", "payment_id": str(CREDITCARD)}
CONTROL = "This contains a character that cannot be used here"
INVISIBLE = "This contains only invisible characters"


@pytest.fixture
def often(make_app, sandbox):
    """A test client for one buyer who may submit the checkout often."""
    return make_app(sandbox.url, SHOP_RATE_LIMIT_ORDER="1000 per minute").test_client()


@pytest.mark.parametrize("field", DETAIL_FIELDS)
def test_control_and_direction_characters_are_refused(often, sandbox, field):
    web = often
    form = with_cart(web)
    for char in ["\x00", "\x1b", "\x7f", "\r", "\n", "\r\n", "\t", "\x85", "\u2028", "\u202e", "\u202a", "\u2066",
                 "\u2069"]:
        value = GOOD[field][:2] + char + GOOD[field][2:]
        answer = web.post("/checkout/", data={**form, **GOOD, field: value}, headers=EN)
        assert answer.status_code == 422, repr(char)
        html = text(answer)
        assert f'href="#{field}"' in html  # named in the summary, linked to the field
        if field not in ("email", "phone"):  # those have their own format message, which is clear too
            assert CONTROL in html, repr(char)
    assert orders_in(sandbox) == []


@pytest.mark.parametrize("field", ["firstname", "lastname", "address", "city", "zip"])
def test_names_of_only_invisible_characters_are_refused(often, sandbox, field):
    web = often
    form = with_cart(web)
    for value in ["\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u3164", "\u00ad", "\u200b \u200b", "\u034f",
                  "\u2800"]:
        answer = web.post("/checkout/", data={**form, **GOOD, field: value}, headers=EN)
        assert answer.status_code == 422, repr(value)
        html = text(answer)
        assert INVISIBLE in html and f'href="#{field}"' in html, repr(value)
    assert orders_in(sandbox) == []


@pytest.mark.parametrize("names", [("José", "Ørsted-Ñúñez"), ("Nasrin", "Mi\u200cr"), ("Zoë", "O'Brien"),
                                   ("李", "小龍"), ("Ann", "de Vries\u200d")], ids=repr)
def test_real_names_pass(web, sandbox, names):
    firstname, lastname = names
    form = with_cart(web)
    answer = web.post("/checkout/", data={**form, **GOOD, "firstname": firstname, "lastname": lastname})
    assert answer.status_code == 303
    assert len(orders_in(sandbox)) == 1


# --- 4. the request log stays JSON ----------------------------------------------------------------


@pytest.fixture
def log_lines(app):
    """What the request log's own handler writes (after its redaction filter), line by line."""
    import logging

    from shop.infra.security import RedactPersonalData

    [handler] = [h for h in logging.getLogger("shop.requests").handlers  # not pytest's own
                 if type(h) is logging.StreamHandler and any(isinstance(f, RedactPersonalData) for f in h.filters)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: stream.getvalue().splitlines()
    handler.setStream(previous)


@pytest.mark.parametrize("path", ["/x%C3%A9@example.org", "/%C3%A9%C3%A9ab@example.org", "/%1B1b@example.org",
                                  "/%00ab@example.org", "/a%22b@example.org", "/a%5Cu0041@example.org",
                                  "/%E2%80%AEab@example.org", "/ann.smit@example.org", "/%F0%9F%98%80x@example.org"])
def test_the_request_log_line_is_json_whatever_the_path(web, log_lines, path):
    import json
    from urllib.parse import unquote

    from shop.infra.security import RedactPersonalData

    web.get(path)
    [line] = log_lines()
    logged = json.loads(line)
    assert logged["status"] == 404 and logged["path"].endswith("…@example.org")
    # The address in the path is masked as in every other log line, and nothing else is changed.
    assert logged["path"] == RedactPersonalData.EMAIL.sub(r"\1…@\2", unquote(path))
    assert "ann.smit" not in line


def test_the_request_log_line_is_json_for_any_path(web, log_lines):
    import json
    from urllib.parse import quote

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(min_size=1, max_size=12), st.sampled_from(["@example.org", " 06 1234 5678", ""]))
    def check(local, tail):
        before = len(log_lines())
        web.get("/x" + quote(local + tail, safe=""))
        for line in log_lines()[before:]:
            json.loads(line)

    check()


# --- 4. gunicorn believes X-Forwarded-* only with SHOP_TRUST_PROXY ---------------------------------


def gunicorn_settings(monkeypatch, **env) -> dict:
    """gunicorn.conf.py read as gunicorn reads it, with only these variables set."""
    import runpy

    for name in list(os.environ):
        if name.startswith(("SHOP_", "GUNICORN_")) or name == "FORWARDED_ALLOW_IPS":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize("env, allowed", [
    ({}, ""), ({"SHOP_TRUST_PROXY": "0"}, ""), ({"SHOP_TRUST_PROXY": ""}, ""),
    ({"SHOP_TRUST_PROXY": "1"}, "127.0.0.1,::1"), ({"SHOP_TRUST_PROXY": "2"}, "127.0.0.1,::1"),
    ({"GUNICORN_FORWARDED_ALLOW_IPS": "10.0.0.5"}, "10.0.0.5"),
    ({"SHOP_TRUST_PROXY": "1", "GUNICORN_FORWARDED_ALLOW_IPS": "10.0.0.0/24"}, "10.0.0.0/24"),
])
def test_gunicorn_trusts_forwarded_headers_only_when_told(monkeypatch, env, allowed):
    assert gunicorn_settings(monkeypatch, **env)["forwarded_allow_ips"] == allowed


def test_gunicorn_does_not_take_https_from_a_local_client_by_default(gunicorn_port):
    url = f"http://127.0.0.1:{gunicorn_port}/"
    plain = requests.get(url, timeout=10)
    spoofed = requests.get(url, headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"}, timeout=10)
    assert plain.status_code == spoofed.status_code == 200
    assert "Strict-Transport-Security" not in spoofed.headers


def test_gunicorn_takes_https_from_the_proxy_when_trusted(tmp_path):
    proc, port = start_gunicorn(tmp_path, SHOP_TRUST_PROXY="1")
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert answer.status_code == 200 and answer.headers["Strict-Transport-Security"].startswith("max-age=")


# --- 4. a secret key long enough to be one ----------------------------------------------------------


@pytest.mark.parametrize("key", ["x", "secret", "changeme", "a" * 31, "  " + "a" * 20 + "  "])
@pytest.mark.parametrize("api", ["", "https://api.voordemensen.nl/v1"])
def test_a_short_secret_key_stops_the_start(tmp_path, key, api):
    from shop.settings import ConfigError, shop_settings

    env = {"SHOP_SECRET_KEY": key, "VDM_API_URL": api, "SHOP_BASE_URL": "https://tickets.example"}
    with pytest.raises(ConfigError, match=r"SHOP_SECRET_KEY .*at least 32 characters"):
        shop_settings(env, str(tmp_path))


def test_a_long_secret_key_is_taken(tmp_path):
    from shop.settings import shop_settings

    assert len(SECRET) >= 32  # the tests' own key
    for key in ("k" * 32, SECRET):
        assert shop_settings({"SHOP_SECRET_KEY": key}, str(tmp_path))["SECRET_KEY"] == key


# --- 4. a partly paid order offers no tickets ---------------------------------------------------------


@pytest.fixture
def live_shop(start_sandbox, make_app):
    """The shop served over HTTP, so that the sandbox's payment page can be used for real."""
    sandbox = start_sandbox()
    shop = LiveServer(make_app(sandbox.url))
    yield shop
    shop.stop()


def pay(shop_url: str, choice: str, language: str) -> requests.Response:
    """A buyer fills a cart, checks out, makes this choice on the sandbox's payment page and
    comes back to the shop's order page."""
    buyer = Buyer.at(shop_url, language)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    buyer.places_order(**GOOD)
    back = buyer.pays(choice)
    assert back.url.startswith(shop_url + "/order/")
    return back


@pytest.mark.parametrize("language, heading, tickets, receipt", [
    ("en", "Your order is partly paid", "Show my tickets", "Receipt"),
    ("nl", "Je bestelling is deels betaald", "Toon mijn kaarten", "Betaalbewijs")])
def test_a_partly_paid_order_offers_no_tickets(live_shop, language, heading, tickets, receipt):
    import re

    page = pay(live_shop.url, PARTIAL, language)
    html = page.text
    assert page.status_code == 200 and heading in html
    assert tickets not in html and "/ticket" not in html  # no link to tickets that are not issued yet
    assert re.search(rf'<a class="button[^"]*" href="[^"]+/receipt">{receipt}</a>', html)
    # The paid order, for comparison, has both.
    paid = pay(live_shop.url, PAY, language).text
    assert tickets in paid and "/ticket" in paid


# --- 2. gunicorn's own limits on what a request's head may be ----------------------------------------


def test_gunicorn_limits_the_request_head(monkeypatch):
    settings = gunicorn_settings(monkeypatch)
    assert settings["limit_request_line"] == 2048  # the shop's longest URL, a full programme search, is far shorter
    assert settings["limit_request_fields"] == 50  # a browser sends about 15 headers, the proxy adds 5
    assert settings["limit_request_field_size"] == 8190  # room for the session cookie (at most 4 KB)


def test_gunicorn_refuses_an_oversized_request_head(gunicorn_port):
    def status(head: str) -> bytes:
        return raw_request(gunicorn_port, head).split(b"\r\n")[0]

    fine = status("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                  "".join(f"X-H{i}: {i}\r\n" for i in range(30)) + "\r\n")
    assert fine.startswith(b"HTTP/1.1 200")
    long_line = status(f"GET /healthz?{'a' * 3000} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    many_fields = status("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                         "".join(f"X-H{i}: {i}\r\n" for i in range(80)) + "\r\n")
    for answer in (long_line, many_fields):
        assert answer.split()[1] in (b"400", b"414", b"431"), answer


# --- 2. slow clients are held off by the reverse proxy (README, Deploy) --------------------------------

NGINX_START = "# /etc/nginx/conf.d/tickets.conf"


def readme_nginx_snippet(readme: str) -> str | None:
    """The nginx configuration in README.md's Deploy section, as it is: the indented (or fenced)
    block that starts with the comment naming its file."""
    lines = readme.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(NGINX_START)]
    if not starts:
        return None
    indent = len(lines[starts[0]]) - len(lines[starts[0]].lstrip(" "))
    block = []
    for line in lines[starts[0]:]:
        if line.strip().startswith("```") or (line.strip() and not line.startswith(" " * indent)):
            break
        block.append(line[indent:])
    return "\n".join(block).strip() + "\n"


def test_the_nginx_snippet_is_found_indented_or_fenced():
    config = "upstream x {\n    server 127.0.0.1:8000;\n}\n"
    indented = "".join(f"    {line}\n" if line else "\n" for line in (NGINX_START + "\n" + config).splitlines())
    for readme in (f"## Deploy\n\n{indented}\nText.\n", f"- a list:\n\n  ```nginx\n  {NGINX_START}\n"
                   + "".join(f"  {line}\n" for line in config.splitlines()) + "  ```\n"):
        assert readme_nginx_snippet(readme) == NGINX_START + "\n" + config, readme
    assert readme_nginx_snippet("## Deploy\n\nNo snippet.\n") is None


def test_the_readme_nginx_snippet_holds_off_slow_clients(gunicorn_port, tmp_path):
    """nginx -t accepts the README's snippet, and with it in front of gunicorn, 60 clients that send
    their headers one line a second (which starve gunicorn on its own) leave the shop answering."""
    import re
    import shutil
    import ssl
    import threading

    import urllib3

    snippet = readme_nginx_snippet((ROOT / "README.md").read_text(encoding="utf-8"))
    assert snippet is not None, "README.md's Deploy section lost its nginx snippet"
    nginx = require(shutil.which("nginx") or shutil.which("/usr/sbin/nginx"), "nginx", "apt-get install nginx-light")
    openssl = require(shutil.which("openssl"), "openssl", "apt-get install openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True,
                   capture_output=True)
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    http_port, https_port = ports
    config = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path / 'cert.pem'};", snippet)
    config = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path / 'key.pem'};", config)
    config = re.sub(r"listen \[::\]:\d+[^;]*;", "", config)
    config = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", config)
    config = re.sub(r"listen 443 ssl[^;]*;", f"listen 127.0.0.1:{https_port} ssl;", config)
    config = config.replace("127.0.0.1:8000", f"127.0.0.1:{gunicorn_port}")
    (tmp_path / "site.conf").write_text(config)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"include {tmp_path}/site.conf; }}\n")
    check = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    urllib3.disable_warnings()
    shop = f"https://127.0.0.1:{https_port}"
    stop = threading.Event()
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE

    def slow_client():
        try:
            with tls.wrap_socket(socket.create_connection(("127.0.0.1", https_port), timeout=30),
                                 server_hostname="localhost") as conn:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
                while not stop.wait(1):
                    conn.sendall(b"X-Slow: 1\r\n")
        except OSError:
            pass  # nginx gave up on it: as it should

    clients = [threading.Thread(target=slow_client, daemon=True) for _ in range(60)]
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert requests.get(shop + "/healthz", verify=False, timeout=2).status_code == 200
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        for client in clients:
            client.start()
        time.sleep(3)  # all 60 are connected and trickling their headers
        started = time.monotonic()
        through_nginx = requests.get(shop + "/healthz", verify=False, timeout=5)
        direct = requests.get(f"http://127.0.0.1:{gunicorn_port}/healthz", timeout=5)
        assert through_nginx.status_code == direct.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=10)


# --- the new messages in Dutch -------------------------------------------------------------------------


def test_the_new_messages_in_dutch(app, often):
    too_large = send(app, "/cart/remove", Body(1_000_000), length=1_000_000, headers={"Accept-Language": "nl"})[1]
    assert "Dat was te veel om te versturen" in too_large and "Er is niets gewijzigd of besteld" in too_large
    form = with_cart(often)
    buyer = Buyer(often, "nl")
    control = buyer.checks_out(form, **{**GOOD, "city": "Ut\u202erecht"})
    assert control.status_code == 422 and "Hier staat een teken in dat hier niet kan" in text(control)
    invisible = buyer.checks_out(form, **{**GOOD, "lastname": "\u200b"})
    assert invisible.status_code == 422 and "Hier staan alleen onzichtbare tekens" in text(invisible)
