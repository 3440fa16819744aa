"""Property-based tests: whatever VdM answers, the client raises only its own errors and
every page renders (content or a friendly error), never a stack trace, always escaped."""

from __future__ import annotations

import re

import pytest
from demo import DE_STORM, DE_STORM_FIRST, IDEAL
from helpers import SECRET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import ScriptedAdapter, answer_for

from shop import create_app
from shop.extensions import cache
from shop.infra.snapshot import Catalogue, MemoryStore
from shop.vdm import Customer, VdmClient, VdmError

CUSTOMER = Customer(email="a@example.org", firstname="A", lastname="B")
CALLS = {
    "events": lambda c: c.events(), "upcoming": lambda c: c.upcoming_events(), "event": lambda c: c.event(DE_STORM),
    "performance": lambda c: c.performance(DE_STORM_FIRST), "ticket_types": lambda c: c.ticket_types(DE_STORM_FIRST),
    "payment_methods": lambda c: c.payment_methods(), "create_cart": lambda c: c.create_cart(),
    "cart": lambda c: c.cart("abc"), "add": lambda c: c.add_to_cart("abc", DE_STORM_FIRST, 2, "x"),
    "remove": lambda c: c.remove_seat("abc", "s1"),
    "create_order": lambda c: c.create_order("abc", IDEAL, "https://shop.example/r", CUSTOMER),
    "order_status": lambda c: c.order_status("KEY-1"),
}
BASE = "http://vdm.test/v1"


@settings(max_examples=400, deadline=None)
@given(call=st.sampled_from(sorted(CALLS)), data=st.data())
def test_the_client_raises_only_its_own_errors(call, data):
    client = VdmClient(BASE, "demo", retries=1, backoff=0)
    client.session.mount("http://vdm.test/", ScriptedAdapter(lambda method, path: data.draw(answer_for(path))))
    try:
        CALLS[call](client)
    except VdmError:
        pass


PAGES = ["/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/", "/checkout/", "/order/KEY-1",
         "/order/KEY-1?check=3"]


@pytest.fixture(scope="module")
def scripted_shop(tmp_path_factory):
    """The shop with a client of this test's own: a real VdmClient whose HTTP goes to a scripted
    adapter instead of the network."""
    adapter = ScriptedAdapter(lambda method, path: (404, b""))
    client = VdmClient(BASE, "demo", read_timeout=1, retries=1, backoff=0)
    client.session.mount("http://vdm.test/", adapter)
    app = create_app({"SHOP_SECRET_KEY": SECRET, "VDM_API_URL": BASE, "SHOP_BASE_URL": "https://shop.example",
                      "TESTING": True, "VDM_READ_TIMEOUT": "1", "SHOP_RATE_LIMIT_ORDER_LOOKUP": "100000 per minute"},
                     instance_path=str(tmp_path_factory.mktemp("props")), vdm_client=client)
    app.extensions["box_office"].catalogue.stop()  # no refresher: each example makes its own catalogue
    yield app, adapter
    app.extensions["box_office"].catalogue.stop()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=st.sampled_from(PAGES), with_cart=st.booleans(), data=st.data())
def test_every_page_renders_whatever_vdm_answers(scripted_shop, page, with_cart, data):
    app, adapter = scripted_shop
    with app.app_context():
        cache.clear()
        app.extensions["box_office"].gates.clear()  # each example asks VdM afresh
    adapter.answer = lambda method, path: data.draw(answer_for(path))
    # Whatever VdM answers the catalogue's refresher (here in this thread, one call at a time)…
    box_office = app.extensions["box_office"]
    box_office.catalogue = Catalogue(box_office.client, MemoryStore(), interval=180, concurrency=1)
    box_office.catalogue.stop()  # no background thread: this test drives the refresh itself
    box_office.catalogue.refresh()
    # …and whatever it answers the page's own calls.
    web = app.test_client()
    if with_cart:
        with web.session_transaction() as session:
            session["cart_id"] = "abc"
    # TESTING propagates exceptions: anything unhandled fails here rather than becoming a 500 page.
    answer = web.get(page, headers={"Accept-Language": data.draw(st.sampled_from(["nl", "en"]))})
    assert answer.status_code in (200, 301, 303, 404, 503)
    html = answer.get_data(as_text=True).lower()
    assert "traceback" not in html
    # The only script element is the JSON-LD for search engines (data, never run), and nothing ends it early.
    assert set(re.findall(r"<script[^>]*>", html)) <= {'<script type="application/ld+json">'}
    assert html.count("</script>") == html.count("<script") and "onerror" not in html
    assert 'href="javascript:' not in html and 'src="javascript:' not in html and 'src="data:' not in html
