"""Issue 11, finding 3: one address could hold a whole performance with cookieless adds.
Tickets held in carts are bounded per address, per performance and overall, with a clear
message; other visitors are not affected."""

from __future__ import annotations

import sqlite3

from demo import DE_STORM_FIRST, DE_STORM_MATINEE, NACHTVLINDERS_FIRST, STANDARD
from helpers import Buyer, catalogue_ready, text

ONE_ADDRESS, ANOTHER = "203.0.113.5", "198.51.100.9"


def add_without_a_cookie(app, performance_id: int, quantity: int, address: str = ONE_ADDRESS):
    buyer = Buyer(app.test_client(), address=address)  # a new visitor every time: no session, no cart
    return buyer.adds(performance_id, **{STANDARD: quantity})


def held(sandbox, performance_id: int) -> int:
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    try:
        return db.execute("SELECT COUNT(*) FROM seats WHERE event_id = ?", (performance_id,)).fetchone()[0]
    finally:
        db.close()


def test_one_address_cannot_hold_a_whole_performance(make_app, sandbox):
    app = make_app(sandbox.url)
    catalogue_ready(app)
    answers = [add_without_a_cookie(app, DE_STORM_FIRST, 4) for _ in range(12)]
    assert [a.status_code for a in answers[:2]] == [303, 303]
    refused = answers[2]
    assert refused.status_code == 429
    assert "You can hold at most 10 tickets for one performance at a time" in text(refused)
    assert all(a.status_code == 429 for a in answers[2:])
    assert held(sandbox, DE_STORM_FIRST) == 8
    assert add_without_a_cookie(app, DE_STORM_FIRST, 4, address=ANOTHER).status_code == 303  # someone else


def test_and_not_across_performances_either(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_HOLD_MAX="12")
    catalogue_ready(app)
    assert add_without_a_cookie(app, DE_STORM_FIRST, 6).status_code == 303
    assert add_without_a_cookie(app, DE_STORM_MATINEE, 6).status_code == 303
    refused = add_without_a_cookie(app, NACHTVLINDERS_FIRST, 2)
    assert refused.status_code == 429 and "at most 12 tickets in carts at a time" in text(refused)


def test_a_buyer_keeps_within_the_overall_bound_in_one_cart(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_HOLD_MAX="5")
    catalogue_ready(app)
    buyer = Buyer(app.test_client())
    assert buyer.adds(DE_STORM_FIRST, **{STANDARD: 4}).status_code == 303
    answer = buyer.adds(DE_STORM_MATINEE, **{STANDARD: 2})
    assert answer.status_code == 429 and 'value="2"' in text(answer)  # what was typed is kept
