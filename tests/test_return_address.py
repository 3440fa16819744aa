"""Issue 11, finding 10: without SHOP_BASE_URL the Host header decided where VdM sends buyers
back after paying. Such a shop (a sandbox on this machine) only answers its own names now."""

from __future__ import annotations

from helpers import checkout_fields, submit, text

EVIL = {"Host": "evil.example"}


def test_a_forged_host_never_becomes_the_return_address(web):
    assert submit(web, "/performances/101", {"qty_2ePdA8q3BN": "1"}).status_code == 303
    html = text(web.get("/checkout/"))
    answer = web.post("/checkout/", headers=EVIL, data={**checkout_fields(html), "email": "a@example.org",
                                                        "firstname": "A", "lastname": "B", "payment_id": "33"})
    assert answer.status_code == 400


def test_with_a_base_url_the_shop_answers_its_public_name(make_app, sandbox):
    web = make_app(sandbox.url, SHOP_BASE_URL="https://tickets.example-theatre.nl").test_client()
    assert web.get("/", headers={"Host": "tickets.example-theatre.nl"}).status_code in (200, 503)
