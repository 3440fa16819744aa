"""Issue 11, finding 10: without SHOP_BASE_URL the Host header decided where VdM sends buyers
back after paying. Such a shop (a sandbox on this machine) only answers its own names now."""

from __future__ import annotations

from demo import DE_STORM_FIRST, STANDARD
from helpers import ANN, Buyer, catalogue_ready, orders_in

EVIL = {"Host": "evil.example"}


def test_a_forged_host_never_becomes_the_return_address(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    form = buyer.checkout_form()
    answer = buyer.posts("/checkout/", {**form, **ANN}, headers=EVIL)
    assert answer.status_code == 400
    assert orders_in(sandbox) == []


def test_with_a_base_url_the_shop_answers_its_public_name(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_BASE_URL="https://tickets.example-theatre.nl")
    catalogue_ready(app)
    assert Buyer(app.test_client()).opens("/", headers={"Host": "tickets.example-theatre.nl"}).status_code == 200
