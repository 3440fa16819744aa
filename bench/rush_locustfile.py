"""The buyers of bench/rush.py, for Locust: each one tries once to buy 1 to N tickets for the
rush performance and pay, through the whole path, as a browser would, and writes down what
happened to it. A buyer reads the ticket page as a person does: when it says "at most 2 in
total" and the buyer wanted 3, it asks for 2.

Run by bench/rush.py (`python -m locust -f bench/rush_locustfile.py --headless ...`), which
sets these variables:

    RUSH_OUT          the folder for buyers.jsonl (one record per buyer) and requests.jsonl
                      (one line per request: step, milliseconds, status)
    RUSH_SANDBOX      the sandbox's address: the payment page must be there
    RUSH_PERFORMANCE  the performance the buyers race for
    RUSH_SHOW         its show (the programme must list it)
    RUSH_BUYERS       how many buyers there are: Locust stops once they are all done
    RUSH_MAX          the most tickets one buyer asks for (the performance's per-order maximum)
    RUSH_THINK        seconds a buyer pauses between two steps, on average (0: none)
    RUSH_SEED         makes the buyers' wishes and pauses the same from run to run

Every request is made with redirects off, so each answer's own status is seen (a 5xx behind a
redirect would otherwise be hidden) and each step is timed by itself. The payment page is
another site (VdM's payment provider): its cookies are kept apart from the shop's, as a
browser keeps those of two domains apart.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, constant, events, task
from locust.clients import HttpSession

OUT = Path(os.environ.get("RUSH_OUT", "."))
SANDBOX = os.environ.get("RUSH_SANDBOX", "").rstrip("/")
PERFORMANCE = int(os.environ.get("RUSH_PERFORMANCE", "0"))
SHOW = int(os.environ.get("RUSH_SHOW", "0"))
BUYERS = int(os.environ.get("RUSH_BUYERS", "0"))
MOST = int(os.environ.get("RUSH_MAX", "4"))
THINK = float(os.environ.get("RUSH_THINK", "0.5"))
SEED = int(os.environ.get("RUSH_SEED", "11"))
TIMEOUT = 60  # seconds for any one answer: generous, a loaded machine is slow, not broken
EN = {"Accept-Language": "en"}

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME, VALUE = re.compile(r'name="([^"]*)"'), re.compile(r'value="([^"]*)"')
RADIO = re.compile(r'<input[^>]*type="radio"[^>]*>')
LIMIT = re.compile(r"at most (\d+) in total")
QUANTITY = re.compile(r'name="(qty_[A-Za-z0-9_-]+)"')
MAIN = re.compile(r"<main\b.*?</main>", re.S)
TAG = re.compile(r"<[^>]+>")
PAY_PATH = re.compile(r"/sandbox/pay/([A-Za-z0-9-]+)\Z")

_records = open(OUT / "buyers.jsonl", "a", buffering=1, encoding="utf-8")
_requests = open(OUT / "requests.jsonl", "a", buffering=1, encoding="utf-8")
_started = 0
_finished = 0
_environment = None


def page_text(page: str) -> str:
    """What a person reads of a page: the text of its main part, in one line."""
    found = MAIN.search(page)
    return " ".join(html.unescape(TAG.sub(" ", found.group(0) if found else page)).split())


def hidden_fields(page: str) -> dict:
    fields = {}
    for tag in HIDDEN.findall(page):
        name, value = NAME.search(tag), VALUE.search(tag)
        if name:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


@events.init.add_listener
def on_init(environment, **_kwargs):
    global _environment
    _environment = environment


@events.request.add_listener
def on_request(request_type, name, response_time, response, exception, context=None, **_kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    _requests.write(json.dumps({
        "buyer": (context or {}).get("buyer"), "step": name, "method": request_type, "ms": round(response_time, 1),
        "status": status or 0, "t": round(time.time(), 3),  # when the answer was in
        "error": None if exception is None else f"{type(exception).__name__}: {exception}",
    }) + "\n")


class Stop(Exception):
    """This buyer's path ends here (won, lost or failed: the record says which)."""


class Buyer(HttpUser):
    """One person at the start of the sale: looks, chooses, adds, checks out and pays, once.

    Then it waits, without a request, until every buyer is done and the run ends. (A user that
    stopped itself would be replaced by Locust while it is still starting users.)"""

    wait_time = constant(24 * 3600)

    def on_start(self):
        global _started
        _started += 1
        self.number = _started
        self.random = random.Random(SEED * 100003 + self.number)
        self.client.headers.update(EN)
        # The payment provider is another site: its own cookies, its own connections.
        self.provider = HttpSession(base_url=SANDBOX, request_event=self.environment.events.request, user=self)
        self.provider.headers.update(EN)
        self.tried = False
        self.record = {"buyer": self.number, "wanted": self.random.randint(1, MOST), "outcome": None, "step": None,
                       "statuses": {}}

    def context(self):
        return {"buyer": getattr(self, "number", None)}

    # --- the path ------------------------------------------------------------------------

    @task
    def rush(self):
        if self.tried:  # once only
            return
        self.tried = True
        record = self.record
        record["started"] = time.time()
        try:
            self.buy()
        except Stop:
            pass
        except Exception as error:  # anything unexpected is this buyer's failure, written down
            self.fail(f"{type(error).__name__}: {error}")
        finally:
            record["outcome"] = record["outcome"] or "error"
            record["ended"] = time.time()
            _records.write(json.dumps(record) + "\n")
            global _finished
            _finished += 1
            if _finished >= BUYERS and _environment is not None and _environment.runner is not None:
                gevent.spawn_later(0.5, _environment.runner.quit)  # everyone is done: end the run now

    def buy(self):
        record = self.record
        programme = self.step("programme", "GET", "/", expect=(200,))
        if f"/shows/{SHOW}" not in programme.text and f"/performances/{PERFORMANCE}" not in programme.text:
            self.fail("the programme does not list the show")
        self.pause()

        page = self.step("performance", "GET", f"/performances/{PERFORMANCE}", expect=(200,))
        if 'class="tickets-form"' not in page.text:  # no form: the page says why (sold out)
            self.lose(page.text)
        token, fields = TOKEN.search(page.text), QUANTITY.findall(page.text)
        if not token or not fields:
            self.fail("no ticket form with a CSRF token on the performance page")
        ticket_type = self.random.choice(fields)  # one ticket type, so an add is all or nothing
        limit = LIMIT.search(page.text)
        record["asked"] = min(record["wanted"], int(limit.group(1))) if limit else record["wanted"]
        self.pause()

        added = self.step("add", "POST", f"/performances/{PERFORMANCE}",
                          data={"csrf_token": token.group(1), ticket_type: str(record["asked"])},
                          expect=(303, 422, 429))
        if added.status_code != 303:
            self.lose(added.text)
        cart = self.step("cart", "GET", self.location(added), expect=(200,))  # where the add sends the browser
        record["added_message"] = next((m for m in ("ticket was added", "tickets were added") if m in cart.text), None)
        self.pause()

        checkout = self.step("checkout page", "GET", "/checkout/", expect=(200,))
        fields = hidden_fields(checkout.text)
        methods = [VALUE.search(tag).group(1) for tag in RADIO.findall(checkout.text)
                   if 'name="payment_id"' in tag and VALUE.search(tag)]
        if not fields.get("csrf_token") or not fields.get("cart_id") or not methods:
            self.fail("the checkout page has no form to fill in")
        record["cart_id"] = fields["cart_id"]
        self.pause()

        n = self.number
        submitted = self.step("checkout submit", "POST", "/checkout/", expect=(303,), data={
            **fields, "email": f"buyer{n}@rush.example.org", "firstname": "Buyer", "lastname": f"Number {n}",
            "payment_id": methods[0]})
        payment_url = self.location(submitted)
        key = PAY_PATH.search(urlsplit(payment_url).path)
        if not payment_url.startswith(SANDBOX + "/") or not key:
            self.fail(f"the checkout sent the buyer to {payment_url!r}, not to a payment page")
        record["order_key"] = key.group(1)

        payment = self.step("payment page", "GET", payment_url, client=self.provider, expect=(200,))
        record["payment_page"] = True
        token = TOKEN.search(payment.text)
        if not token or record["order_key"] not in payment.text:
            self.fail("the payment page shows no form for this order")
        self.pause()

        paid = self.step("pay", "POST", payment_url, client=self.provider, expect=(303,),
                         data={"csrf_token": token.group(1), "pay": "Pay"})
        back = self.location(paid)
        if not back.startswith(self.host) or f"return={record['order_key']}" not in back:
            self.fail(f"the payment page sent the buyer to {back!r}, not back to the shop")
        returned = self.step("return", "GET", back, expect=(303,))
        order = self.step("order page", "GET", self.location(returned), expect=(200,))
        text = page_text(order.text)
        record["order_page"] = text[:300]
        if "Your order is paid" not in text or f"You bought {record['asked']} ticket" not in text:
            self.fail("the order page does not say the order is paid with the tickets asked for")
        record["outcome"] = "won"

    # --- helpers -----------------------------------------------------------------------

    def step(self, name: str, method: str, url: str, *, expect: tuple[int, ...], client=None, data=None):
        """One request of the path, timed as `name`; an answer outside `expect` ends the path."""
        client = client or self.client
        self.record["step"] = name
        with client.request(method, url, name=name, data=data, allow_redirects=False, timeout=TIMEOUT,
                            catch_response=True) as answer:
            self.record["statuses"][name] = answer.status_code
            if answer.status_code in expect:
                answer.success()
            else:
                answer.failure(f"HTTP {answer.status_code}")
        if answer.status_code not in expect:
            error = f" ({answer.error})" if getattr(answer, "error", None) and not answer.status_code else ""
            self.fail(f"{name}: HTTP {answer.status_code}{error}, expected {expect}", answer)
        return answer

    def location(self, answer) -> str:
        where = answer.headers.get("Location", "")
        if not where:
            self.fail(f"{self.record['step']}: a redirect without a Location", answer)
        return where if "://" in where else self.host.rstrip("/") + where

    def pause(self):
        if THINK > 0:
            gevent.sleep(self.random.uniform(0, 2 * THINK))

    def lose(self, page: str):
        self.record.update(outcome="lost", final_text=page_text(page)[:1500])
        raise Stop()

    def fail(self, why: str, answer=None):
        self.record.update(outcome="error", error=why)
        if answer is not None and answer.text:
            self.record["final_text"] = page_text(answer.text)[:1500]
        raise Stop()
