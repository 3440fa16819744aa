"""Issue 11, finding 7: page views must not turn into unlimited VdM calls. Unknown shows
cost nothing (the catalogue snapshot answers), made-up order keys are limited per address,
and a flood of keys cannot push a real order's 10-second rule out of memory."""

from __future__ import annotations

import secrets

from fakes import FakeVdm, venue
from helpers import catalogue_ready


def test_unknown_shows_never_reach_vdm(make_app):
    vdm = FakeVdm(venue(shows=3))
    web = make_app(vdm_client=vdm).test_client()
    catalogue_ready(web.application)
    asked = vdm.total_calls
    assert all(web.get(f"/shows/{999999 - i}").status_code == 404 for i in range(200))
    assert vdm.total_calls == asked


def test_made_up_order_keys_are_limited_per_address(make_app):
    vdm = FakeVdm(venue(shows=1))
    web = make_app(vdm_client=vdm).test_client()
    answers = [web.get(f"/order/{secrets.token_hex(8)}").status_code for _ in range(200)]
    assert answers.count(404) == 20 and answers.count(429) == 180
    assert vdm.calls["order_status"] == 20


def test_a_flood_of_keys_does_not_break_the_10_second_rule_for_a_real_order(make_app):
    vdm = FakeVdm(venue(shows=1))
    vdm.orders["REAL-ORDER"] = "pending"
    app = make_app(vdm_client=vdm, SHOP_STATUS_INTERVAL="60")  # room for the flood within one interval
    web = app.test_client()
    assert web.get("/order/REAL-ORDER").status_code == 200
    for i in range(700):  # 1,400 entries: more than an in-memory cache keeps (500)  # from many addresses, so that the per-address limit does not stop them
        web.get(f"/order/{secrets.token_hex(8)}", environ_base={"REMOTE_ADDR": f"10.{i // 250}.{i % 250}.1"})
    assert web.get("/order/REAL-ORDER").status_code == 200
    assert vdm.calls["order_status:REAL-ORDER"] == 1  # still within its interval
