"""Every page of the buyer's path, as the server sends it, in both languages and with its
error states, passes the Nu Html Checker with no error."""

from __future__ import annotations

import json
import subprocess

from helpers import checkout_fields, csrf_token, text
from tools import vnu


def pages_of_the_path(web) -> dict[str, str]:
    pages = {}
    for lang in ("nl", "en"):
        h = {"Accept-Language": lang}
        for name, url in [("programme", "/"), ("show", "/shows/100"), ("performance", "/performances/101"),
                          ("performance-past", "/performances/501"), ("empty-cart", "/cart/"), ("not-found", "/nope"),
                          ("bad-return", "/order/return")]:
            pages[f"{lang}-{name}"] = text(web.get(url, headers=h))
        token = csrf_token(pages[f"{lang}-performance"])
        pages[f"{lang}-performance-errors"] = text(web.post("/performances/101", headers=h, data={
            "csrf_token": token, "qty_2ePdA8q3BN": "x", "qty_AYDJK7JlkX": "50"}))
        web.post("/performances/101", headers=h, data={"csrf_token": token, "qty_2ePdA8q3BN": "2",
                                                      "qty_AYDJK7JlkX": "1"})
        pages[f"{lang}-cart"] = text(web.get("/cart/", headers=h))
        checkout = pages[f"{lang}-checkout"] = text(web.get("/checkout/", headers=h))
        form = checkout_fields(checkout)
        pages[f"{lang}-checkout-errors"] = text(web.post("/checkout/", headers=h, data={**form, "email": "x",
                                                                                       "phone": "?"}))
        to_pay = web.post("/checkout/", headers=h, data={**form, "email": "a@example.org", "firstname": "A",
                                                        "lastname": "B", "payment_id": "34"})
        order_key = to_pay.headers["Location"].rsplit("/", 1)[1]
        pages[f"{lang}-order-waiting"] = text(web.get(f"/order/{order_key}", headers=h))
        pages[f"{lang}-order-gave-up"] = text(web.get(f"/order/{order_key}?check=99", headers=h))
        pages[f"{lang}-payment-page"] = to_pay.headers["Location"]
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
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([*vnu(), "--format", "json", "--also-check-css", *files], capture_output=True,
                            text=True, timeout=120)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{m['url'].rsplit('/', 1)[-1]}: {m['message']} [{m.get('extract', '').strip()[:80]}]"
              for m in messages if m["type"] == "error"]
    assert len(files) == 32  # 16 pages in each language
    assert errors == []
