"""In Chromium, the whole purchase at https://venue.example/tickets/ as a venue's proxy serves
it: the shop in the example theme (with its built-in sandbox's payment page) behind a proxy
that passes the path on and says the prefix in X-Forwarded-Prefix. The browser never leaves
the prefix, and the theme's files come from under it too."""

from __future__ import annotations

import re

import pytest
from helpers import SECRET, LiveServer, catalogue_ready
from test_browser import Buyer, check_out, choose_tickets
from tools import ROOT

from shop import create_app

pytest.importorskip("playwright", reason="pip install -e '.[test]' installs Playwright")
from playwright.sync_api import expect  # noqa: E402

PREFIX = "/tickets"


@pytest.fixture(scope="module")
def shop_under_prefix(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prefix")
    shop = LiveServer(create_app({"SHOP_SECRET_KEY": SECRET, "SHOP_TRUST_PROXY": 1,
                                  "SHOP_THEME_DIR": str(ROOT / "examples" / "theme"),
                                  "SHOP_RATE_LIMIT_CART": "1000 per minute", "SHOP_RATE_LIMIT_ORDER": "1000 per minute"},
                                 instance_path=str(folder)))
    catalogue_ready(shop.app)
    yield shop
    shop.stop()


def test_the_whole_purchase_under_a_path_of_the_venues_site(browser, shop_under_prefix):
    context = browser.new_context(viewport={"width": 375, "height": 667}, locale="en-GB",
                                  extra_http_headers={"X-Forwarded-Prefix": PREFIX})
    page = context.new_page()
    page.set_default_timeout(15000)
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    home = shop_under_prefix.url + PREFIX + "/"
    page.goto(home)
    buyer = Buyer(page, home, "prefix")
    choose_tickets(buyer)
    check_out(buyer)
    buyer.button("Pay")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is paid")
    buyer.look("paid")
    buyer.link("Show my tickets")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tickets for order")
    page.go_back()
    buyer.link("Nederlands")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Bedankt"))
    context.close()
    within = shop_under_prefix.url + PREFIX + "/"
    assert [url for url in visited if not url.startswith(within)] == []
    assert [url for url in requested if not url.startswith(within)] == []
    assert any("/sandbox/pay/" in url for url in visited)
    assert within + "static/theme.css" in requested  # the payment page, under the prefix too
