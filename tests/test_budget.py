"""Every page has a time budget on VdM: whatever number of calls it would make, it waits at
most one read time-out in total; the calls beyond it are not made."""

from __future__ import annotations

import time

from demo import DE_STORM_FIRST, SENIOR, STADSPAS, STANDARD
from helpers import Buyer, catalogue_ready, csrf_token, text, vdm_calls


def test_adding_three_ticket_types_to_a_slow_vdm_stops_at_the_budget(start_sandbox, make_app):
    sandbox = start_sandbox(SANDBOX_DELAY_MS=400)
    app = make_app(sandbox.url, VDM_READ_TIMEOUT="1")
    catalogue_ready(app, seconds=20)
    calls = vdm_calls(app)
    buyer = Buyer(app.test_client())
    token = csrf_token(buyer.reads(f"/performances/{DE_STORM_FIRST}"))
    assert calls == []  # the page itself is the snapshot's
    started = time.monotonic()
    # A new cart, then one add per ticket type: four calls of 0.4 s would take 1.6 s.
    answer = buyer.posts(f"/performances/{DE_STORM_FIRST}", {"csrf_token": token, f"qty_{STANDARD}": "1",
                                                             f"qty_{STADSPAS}": "1", f"qty_{SENIOR}": "1"})
    waited = time.monotonic() - started
    assert answer.status_code == 503 and "box office cannot be reached" in text(answer)
    assert len(calls) == 3  # the fourth was never sent
    assert waited < 1.8  # one read time-out (1 s) and the shop's own work, not 1.6 s of VdM and more


def test_a_hanging_vdm_costs_one_read_timeout_per_page(fake_upstream, make_app):
    fake_upstream.answer("GET", "events/upcoming", body=[])
    fake_upstream.answer("GET", "paymentmethods", body=[])
    fake_upstream.answer("GET", "cart/abc", body=[{"cart": 0}], delay=3)
    app = make_app(fake_upstream.url, VDM_READ_TIMEOUT="0.5")
    catalogue_ready(app)
    buyer = Buyer(app.test_client())
    with buyer.web.session_transaction() as session:
        session["cart_id"], session["cart_count"] = "abc", 1
    started = time.monotonic()
    answer = buyer.opens("/checkout/")
    assert answer.status_code == 503 and time.monotonic() - started < 1.5
    assert fake_upstream.count("GET", "cart/abc") == 1  # no retry after a time-out, nothing after the budget
