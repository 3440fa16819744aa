"""Hypothesis strategies: upstream answers in VdM's shapes gone wrong, and hostile input."""

from __future__ import annotations

import io
import json
from datetime import date
from urllib.parse import urlsplit

import requests
from hypothesis import strategies as st
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

NASTY = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "x" * 20000, "", " ",
    "\x00", "\u202eevil", "0000-00-00 00:00:00", "2026-02-30", "25:61:00", "NaN", "-1", "1e999", "€",
    "'; DROP TABLE events; --", "{{ 7*7 }}", "%s%s%s", "\ud800", "../../etc/passwd", "😀" * 50,
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))
leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False, allow_infinity=False),
                 text)
anything = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                            max_size=3), max_leaves=8)


def maybe(good):
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(good, leaf)


day = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
ids = st.integers(1, 10**6)
money = st.decimals(min_value=-100, max_value=10**7, places=2, allow_nan=False, allow_infinity=False).map(str)
urls = st.sampled_from(["https://img.example/x.png", "javascript:alert(1)", 'http://x/"onerror=alert(1)', "/relative.png",
                        "data:text/html,<script>", "https://tickets.example/order/K/ticket"])


def fields(**optional):
    return st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in optional.items()})


sub_event = fields(event_id=ids, event_main_id=ids, event_name=text, event_text=text, event_short_text=text,
                   event_date=day.map(str), event_time=st.times().map(lambda t: t.strftime("%H:%M:%S")),
                   event_end=st.times().map(lambda t: t.strftime("%H:%M")), event_image=urls,
                   event_status=st.sampled_from(["pub", "nosal", "unpub", "arch", "trash", "PUB"]),
                   event_free=st.integers(-5, 10**9), location_name=text,
                   event_view_end=st.sampled_from(["0000-00-00 00:00:00", "2030-01-01 00:00:00", "garbage"]))
event = fields(event_id=ids, event_name=text, event_text=text, event_short_text=text, event_image=urls,
               sub_events=st.lists(sub_event, max_size=3))
ticket_type = fields(discount_id=st.text(alphabet="abcXYZ019_-", min_size=1, max_size=12) | text, discount_name=text,
                     base_price=money, discount_type=st.sampled_from(["€", "%", "=", "?"]), discount_value=money,
                     discounted_price=money)
payment_method = fields(payment_id=ids, payment_desc=text, payment_cost=money)
seat = fields(seat_id=st.text(alphabet="abcXYZ019", min_size=1, max_size=10), event_id=ids, event_name=text,
              location_name=text, event_date=day.map(lambda d: d.strftime("%d-%m-%Y")),
              event_time=st.times().map(lambda t: t.strftime("%H:%M")), seat_price=money, discount_id=text,
              discount_name=text, numberoftickets=st.integers(-1, 5))
cart = st.one_of(st.just([{"cart": 0}]), st.tuples(st.lists(seat, max_size=3), money).map(
    lambda t: t[0] + [{"totalprice": t[1]}]), st.lists(maybe(seat), max_size=3))
order_created = st.lists(fields(url=urls, order_key=st.text(max_size=30)), max_size=2)
order_status = fields(order_payment_status=st.sampled_from(["paid", "pending", "none", "cancelled", "partial", "refunded",
                                                            "PAID", ""]),
                      order_tickets_nr=st.integers(-3, 10**12), order_tickets_url=urls, order_receipt_url=urls,
                      seats=st.lists(fields(seat_id=ids, event_name=text, event_type=text), max_size=3))
statuses = st.sampled_from([200, 200, 200, 200, 201, 204, 301, 400, 401, 404, 409, 418, 429, 500, 502, 503])

SHAPES = {
    "events": st.lists(event, max_size=3), "tickettypes": st.lists(ticket_type, max_size=4),
    "paymentmethods": st.lists(payment_method, max_size=3), "cart": cart, "order/create": order_created,
    "order": order_status,
}


def kind(path: str) -> str:
    rest = path.split("/v1/demo/", 1)[-1]
    if rest.startswith("order/create"):
        return "order/create"
    return rest.split("/", 1)[0]


def answer_for(path: str):
    """A status and a body for a request to this path: VdM's shape gone wrong, any JSON, or bytes."""
    shaped = SHAPES.get(kind(path), anything)
    body = st.one_of(shaped.map(json.dumps), anything.map(json.dumps), st.binary(max_size=40))
    return st.tuples(statuses, body.map(lambda b: b if isinstance(b, bytes) else b.encode()))


class ScriptedAdapter(BaseAdapter):
    """A requests transport that answers from a function instead of the network."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.paths: list[str] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        path = urlsplit(request.url).path
        self.paths.append(path)
        status, body = self.answer(request.method, path)
        response = requests.Response()
        response.status_code = status
        response.raw = io.BytesIO(body)
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.url, response.request, response.reason = request.url, request, "Scripted"
        return response

    def close(self):
        pass


# What a browser can send: no lone surrogates, which no form or URL encoding can carry.
hostile = st.one_of(
    st.sampled_from([v for v in NASTY if "\ud800" not in v] + ["../", "..%2F..%2Fcart", "%2F", "?x=1", "#frag", "a/b", "1;DROP", "1 OR 1=1", "-1",
                             "99999999999999999999999", "0x10", "１２", " 1 ", "1.5", "1e3", "\r\nSet-Cookie: x=1",
                             "%00", "%252F", "\\..\\", "NaN"]),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Sm", "Po"]), max_size=40),
)
