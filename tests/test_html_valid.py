"""Every page of the buyer's path, as the server sends it, in both languages and with its
error states, passes the Nu Html Checker with no error."""

from __future__ import annotations

import json
import subprocess

from demo import CREDITCARD, DE_STORM, DE_STORM_FIRST, NOT_ON_SALE_YET, PAST, SOLD_OUT, STADSPAS, STANDARD
from helpers import Buyer, order_key, text
from test_seating import KEY, PLAN, adds_seats, chooses, seat_boxes, takes_at_vdm
from tools import vnu

PERFORMANCE = f"/performances/{DE_STORM_FIRST}"


def pages_of_the_path(web) -> dict[str, str]:
    pages = {}
    for lang in ("nl", "en"):
        buyer = Buyer(web, lang)
        for name, url in [("programme", "/"), ("show", f"/shows/{DE_STORM}"), ("performance", PERFORMANCE),
                          ("performance-past", f"/performances/{PAST}"), ("empty-cart", "/cart/"),
                          ("not-found", "/nope"), ("bad-return", "/order/return")]:
            pages[f"{lang}-{name}"] = text(buyer.opens(url))
        pages[f"{lang}-performance-errors"] = text(buyer.adds(DE_STORM_FIRST, **{STANDARD: "x", STADSPAS: 50}))
        buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: 1})
        pages[f"{lang}-cart"] = buyer.cart()
        pages[f"{lang}-checkout"] = buyer.reads("/checkout/")
        pages[f"{lang}-checkout-errors"] = text(buyer.checks_out(email="x", phone="?", firstname=None, lastname=None,
                                                                 payment_id=None))
        to_pay = buyer.checks_out(email="a@example.org", firstname="A", lastname="B", payment_id=str(CREDITCARD))
        key = order_key(to_pay)
        pages[f"{lang}-order-waiting"] = buyer.reads(f"/order/{key}")
        pages[f"{lang}-order-gave-up"] = buyer.reads(f"/order/{key}?check=99")
        pages[f"{lang}-payment-page"] = to_pay.headers["Location"]
        # As a search engine reads them: by their language URL, with the JSON-LD of every state.
        crawler = Buyer(web.application.test_client(use_cookies=False), None)
        for name, url in [("show-by-url", f"/shows/{DE_STORM}"), ("sold-out-by-url", f"/performances/{SOLD_OUT}"),
                          ("not-on-sale-by-url", f"/performances/{NOT_ON_SALE_YET}")]:
            pages[f"{lang}-{name}"] = text(crawler.opens(f"{url}?lang={lang}"))
    return pages


def test_every_page_is_valid_html(tmp_path, web, sandbox):
    import requests

    pages = pages_of_the_path(web)
    for name in [n for n in pages if n.endswith("payment-page")]:
        url = pages[name]
        pages[name] = requests.get(url, timeout=5).text
        key = url.rsplit("/", 1)[1]
        pages[name.replace("payment-page", "tickets")] = requests.get(f"{sandbox.url}/sandbox/order/{key}/ticket",
                                                                      timeout=5).text
        pages[name.replace("payment-page", "receipt")] = requests.get(f"{sandbox.url}/sandbox/order/{key}/receipt",
                                                                      timeout=5).text
    assert len(pages) == 38  # 19 pages in each language
    assert checked(tmp_path, pages) == []


def checked(folder, pages: dict[str, str]) -> list[str]:
    """The Nu Html Checker's errors on these pages (name: HTML)."""
    files = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([*vnu(), "--format", "json", "--also-check-css", *files], capture_output=True,
                            text=True, timeout=120)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [f"{m['url'].rsplit('/', 1)[-1]}: {m['message']} [{m.get('extract', '').strip()[:80]}]"
            for m in messages if m["type"] == "error"]


def seat_pages(web, sandbox) -> dict[str, str]:
    """Choosing seats in every state, and the cart, checkout and order page with seats and a donation."""
    pages = {}
    for lang in ("nl", "en"):
        buyer = Buyer(web, lang)
        pages[f"{lang}-performance-with-plan"] = buyer.reads(PERFORMANCE)
        plan = buyer.reads(PLAN)
        pages[f"{lang}-seats"] = plan
        first, second, third = [seat for seat, box in seat_boxes(plan).items() if "disabled" not in box][:3]
        pages[f"{lang}-seats-none-chosen"] = text(chooses(buyer))
        pages[f"{lang}-seat-types"] = buyer.reads(chooses(buyer, first, second).headers["Location"])
        pages[f"{lang}-seat-types-refused"] = text(adds_seats(buyer, first, **{f"type_{first}": "madeUp"}))
        takes_at_vdm(sandbox, first)
        pages[f"{lang}-seats-taken"] = text(adds_seats(buyer, first, second))
        pages[f"{lang}-seats-kept"] = buyer.reads(f"{PLAN}?seat={second}&seat={third}&type_{third}={STADSPAS}")
        assert adds_seats(buyer, second, third, **{f"type_{third}": STADSPAS}).status_code == 303
        pages[f"{lang}-cart-with-seats"] = buyer.cart()
        pages[f"{lang}-checkout-donation"] = buyer.reads("/checkout/")
        pages[f"{lang}-checkout-donation-errors"] = text(buyer.checks_out(donation="5,555", email="x"))
        key = buyer.places_order(donation="7,50", payment_id=str(CREDITCARD))
        pages[f"{lang}-order-with-seats"] = buyer.reads(f"/order/{key}")
        pages[f"{lang}-seats-yours"] = buyer.reads(PLAN)
    return pages


def test_the_seat_pages_are_valid_html(tmp_path, start_sandbox, make_app):
    sandbox = start_sandbox(SANDBOX_API_KEY=KEY)
    shop = make_app(sandbox.url, VDM_API_KEY=KEY, SHOP_DONATION="1")
    pages = seat_pages(shop.test_client(), sandbox)
    assert len(pages) == 24  # 12 in each language
    assert checked(tmp_path, pages) == []
