"""Issue 11, finding 3: one address could hold a whole performance with cookieless adds.
Tickets held in carts are bounded per address, per performance and overall, with a clear
message; other visitors are not affected."""

from __future__ import annotations

import sqlite3

from helpers import catalogue_ready, csrf_token, text

EN = {"Accept-Language": "en"}


def add_without_a_cookie(app, performance_id: int, quantity: int, address: str = "203.0.113.5",
                         ticket_type: str = "2ePdA8q3BN"):
    web = app.test_client()  # a new visitor every time: no session, no cart
    page = text(web.get(f"/performances/{performance_id}", headers=EN, environ_base={"REMOTE_ADDR": address}))
    return web.post(f"/performances/{performance_id}", headers=EN, environ_base={"REMOTE_ADDR": address},
                    data={"csrf_token": csrf_token(page), f"qty_{ticket_type}": str(quantity)})


def held(sandbox, performance_id: int) -> int:
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    try:
        return db.execute("SELECT COUNT(*) FROM seats WHERE event_id = ?", (performance_id,)).fetchone()[0]
    finally:
        db.close()


def test_one_address_cannot_hold_a_whole_performance(make_app, sandbox):
    app = make_app(sandbox.url)
    catalogue_ready(app)
    answers = [add_without_a_cookie(app, 101, 4) for _ in range(12)]
    assert [a.status_code for a in answers[:2]] == [303, 303]
    refused = answers[2]
    assert refused.status_code == 429
    assert "You can hold at most 10 tickets for one performance at a time" in text(refused)
    assert all(a.status_code == 429 for a in answers[2:])
    assert held(sandbox, 101) == 8
    assert add_without_a_cookie(app, 101, 4, address="198.51.100.9").status_code == 303  # someone else


def test_and_not_across_performances_either(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_HOLD_MAX="12")
    catalogue_ready(app)
    assert add_without_a_cookie(app, 101, 6).status_code == 303
    assert add_without_a_cookie(app, 103, 6).status_code == 303
    refused = add_without_a_cookie(app, 201, 2)
    assert refused.status_code == 429 and "at most 12 tickets in carts at a time" in text(refused)


def test_a_buyer_keeps_within_the_overall_bound_in_one_cart(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_HOLD_MAX="5")
    catalogue_ready(app)
    web = app.test_client()
    page = text(web.get("/performances/101", headers=EN))
    assert web.post("/performances/101", headers=EN, data={"csrf_token": csrf_token(page),
                                                           "qty_2ePdA8q3BN": "4"}).status_code == 303
    page = text(web.get("/performances/103", headers=EN))
    answer = web.post("/performances/103", headers=EN, data={"csrf_token": csrf_token(page), "qty_2ePdA8q3BN": "2"})
    assert answer.status_code == 429 and 'value="2"' in text(answer)  # what was typed is kept
