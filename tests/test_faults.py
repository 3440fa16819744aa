"""A misbehaving box office: down, hanging, failing in the middle of a checkout. The buyer
gets a clear message within a bounded time, keeps what was typed, and never two orders."""

from __future__ import annotations

import sqlite3
import time

import pytest
from fakes import FakeVdm, venue
from helpers import catalogue_ready, checkout_fields, csrf_token, text

STANDARD = "2ePdA8q3BN"
EN = {"Accept-Language": "en"}
DETAILS = {"email": "ann@example.org", "firstname": "Ann", "lastname": "Smit", "city": "Utrecht", "payment_id": "33"}


def orders(sandbox) -> int:
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    try:
        return db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        db.close()


def ready_to_order(web) -> dict:
    html = text(web.get("/performances/101"))
    web.post("/performances/101", data={"csrf_token": csrf_token(html), f"qty_{STANDARD}": "2"})
    html = text(web.get("/checkout/"))
    return {**checkout_fields(html), **DETAILS}


def misbehave(sandbox, when, how):
    """Put a fault in front of the sandbox for the requests `when` picks."""
    app = sandbox.server.app

    def faulty(environ, start_response):
        if when(environ["REQUEST_METHOD"], environ["PATH_INFO"]):
            return how(environ, start_response)
        return app(environ, start_response)

    sandbox.server.app = faulty


def hang(seconds):
    def answer(environ, start_response):
        time.sleep(seconds)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"[]"]
    return answer


def fail(environ, start_response):
    start_response("500 Internal Server Error", [("Content-Type", "text/html")])
    return [b"<h1>Internal Server Error</h1>"]


@pytest.fixture
def shop(make_app, sandbox):
    return make_app(sandbox.url, VDM_READ_TIMEOUT="1", VDM_CONNECT_TIMEOUT="1").test_client()


def test_box_office_down_during_checkout_keeps_the_details(shop, sandbox):
    form = ready_to_order(shop)
    sandbox.stop()
    started = time.monotonic()
    answer = shop.post("/checkout/", data=form, headers=EN)
    assert time.monotonic() - started < 5
    assert answer.status_code == 503
    html = text(answer)
    assert "cannot be reached right now, so nothing was ordered" in html
    assert 'value="ann@example.org"' in html and 'value="Utrecht"' in html and 'value="Smit"' in html


def test_a_box_office_hanging_from_the_start_is_a_bounded_wait(shop, sandbox):
    misbehave(sandbox, lambda method, path: True, hang(3))
    for url in ("/", "/shows/100", "/performances/101"):
        started = time.monotonic()
        answer = shop.get(url, headers=EN)
        assert time.monotonic() - started < 2.5  # one read time-out (1 s) at most
        # Still waiting for the first answer ("being loaded"), or it just failed ("cannot be reached").
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
        assert "being loaded" in text(answer) or "box office cannot be reached" in text(answer)


def test_before_the_first_catalogue_the_page_says_it_is_loading_and_tries_again(make_app):
    vdm = FakeVdm(venue(shows=3))
    release = vdm.hang("upcoming_events")
    web = make_app(vdm_client=vdm, VDM_READ_TIMEOUT="0.5").test_client()
    answer = web.get("/", headers=EN)
    assert answer.status_code == 503 and "being loaded" in text(answer)
    assert answer.headers["Retry-After"] == "10" and '<meta http-equiv="refresh" content="10">' in text(answer)
    release.set()
    catalogue_ready(web.application)
    assert web.get("/", headers=EN).status_code == 200


def test_once_loaded_the_catalogue_stays_while_the_box_office_hangs(make_app, sandbox):
    app = make_app(sandbox.url, VDM_READ_TIMEOUT="1", VDM_CONNECT_TIMEOUT="1")
    catalogue_ready(app)
    shop = app.test_client()
    ready_to_order(shop)
    misbehave(sandbox, lambda method, path: True, hang(3))
    for url in ("/", "/shows/100", "/performances/101"):
        answer = shop.get(url, headers=EN)
        assert answer.status_code == 200 and "De Storm" in text(answer)
    started = time.monotonic()
    answer = shop.get("/cart/", headers=EN)  # the cart is always VdM's own answer
    assert time.monotonic() - started < 2.5
    assert answer.status_code == 503 and "box office cannot be reached" in text(answer)


def test_hanging_order_creation_is_uncertain_not_duplicated(shop, sandbox):
    form = ready_to_order(shop)
    misbehave(sandbox, lambda method, path: path.endswith("/order/create"), hang(3))
    started = time.monotonic()
    answer = shop.post("/checkout/", data=form, headers=EN)
    assert time.monotonic() - started < 3
    assert answer.status_code == 503 and "may have been created" in text(answer) and 'value="Utrecht"' in text(answer)
    for _ in range(3):  # reloads and double clicks do not send it again
        assert shop.post("/checkout/", data=form, headers=EN).status_code == 503
    time.sleep(3)
    assert orders(sandbox) == 0  # the hang answered nothing, and nothing was sent twice


def test_500_in_the_middle_of_checkout(shop, sandbox):
    form = ready_to_order(shop)
    calls = []
    misbehave(sandbox, lambda method, path: path.endswith("/order/create") and not calls.append(path), fail)
    answer = shop.post("/checkout/", data=form, headers=EN)
    assert answer.status_code == 503 and 'value="ann@example.org"' in text(answer)
    assert len(calls) == 1 and orders(sandbox) == 0
    assert shop.post("/checkout/", data=form, headers=EN).status_code == 503  # not sent again unasked
    assert len(calls) == 1
    sandbox.server.app = sandbox.app  # VdM is back; the buyer confirms
    answer = shop.post("/checkout/", data={**form, "retry": "1"}, headers=EN)
    assert answer.status_code == 303 and orders(sandbox) == 1
