"""Hostile input in every form field and URL parameter: each gets a 4xx or a form error,
never a 500, and nothing reaches VdM as another path than the shop meant."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlencode, urlsplit

import pytest
from demo import DE_STORM_FIRST, STADSPAS, STANDARD
from helpers import Buyer, csrf_token, language_link, record_paths, text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from strategies import hostile

# Every path the shop may ask VdM for. An id that smuggled `/`, `?`, `#` or `..` in would not match.
VDM_PATHS = re.compile(r"^/v1/demo/(events(/upcoming|/\d{1,16})?|tickettypes/\d{1,16}|paymentmethods|locations|eventtypes|cart/?"
                       r"|cart/[A-Za-z0-9]{1,64}(/[A-Za-z0-9_-]{1,64})?|order/create|order/[A-Za-z0-9_-]{1,64})$")
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


PERFORMANCE = f"/performances/{DE_STORM_FIRST}"


@pytest.fixture
def recorded(sandbox):
    """The raw paths of every request that reaches the sandbox."""
    return record_paths(sandbox, raw=True)


def assert_safe(answer, value: str, recorded: list[str]) -> None:
    assert answer.status_code < 500, (answer.status_code, value)
    page = answer.get_data(as_text=True)
    # A form comes back with what was typed, even the word "Traceback" (Hypothesis also tries the
    # test's own strings): apart from that echo, the page never shows one.
    assert "Traceback" not in page.replace(str(escape(value)), "")
    if "<" in value and len(value.strip()) > 2:
        assert value not in page  # shown, if at all, escaped
    bad = [p for p in recorded if not VDM_PATHS.match(p.split("?")[0])]
    assert bad == [], bad


@settings(FUZZ, max_examples=200)
@given(value=hostile, template=st.sampled_from(["/shows/{}", "/performances/{}", "/order/{}", "/order/{}/restore-cart",
                                                "/order/AbC12?check={}", "/order/AbC12?auto={}",
                                                "/order/return?return={}", "/order/return?response={}",
                                                "/sandbox/pay/{}", "/cart/{}"]))
def test_url_parameters(web, recorded, value, template):
    answer = web.get(template.format(quote(value, safe="")))
    assert_safe(answer, value, recorded)
    if template.startswith("/order/return") and answer.status_code == 303:
        assert re.fullmatch(r"/order/[A-Za-z0-9_-]{1,64}", answer.headers["Location"])


@pytest.mark.parametrize("path", ["/shows/../cart", f"{PERFORMANCE}/../../v1/demo/cart", "/order/..%2F..%2Fcart",
                                  "/order/a%3Fb", "/order/a%23b", "/shows/%2e%2e%2f", "/order/%00",
                                  "/order/%ED%A0%80", "/shows/%FF", "/order/return?return=%FF%FE"])
def test_path_tricks(web, recorded, path):
    assert_safe(web.get(path), path, recorded)


@FUZZ
@given(quantities=st.lists(hostile, min_size=1, max_size=3), extra=hostile)
def test_quantities(web, recorded, quantities, extra):
    token = csrf_token(text(web.get(PERFORMANCE)))
    names = [f"qty_{STANDARD}", f"qty_{STADSPAS}", "qty_" + extra[:80]]
    answer = web.post(PERFORMANCE, data={"csrf_token": token, **dict(zip(names, quantities, strict=False))})
    assert answer.status_code in (303, 400, 422, 429), answer.status_code
    assert_safe(answer, " ".join(quantities), recorded)


@FUZZ
@given(seat=hostile)
def test_seat_ids(web, recorded, seat):
    buyer = Buyer(web)
    buyer.adds(DE_STORM_FIRST, **{STANDARD: 1})
    answer = buyer.removes(seat)
    assert answer.status_code in (303, 400)
    assert_safe(answer, seat, recorded)


@FUZZ
@given(lang=hostile, target=hostile)
def test_language_links(web, recorded, lang, target):
    """A language URL with anything in it: the page answers, and its switch links stay on it."""
    answer = web.get("/?" + urlencode({"lang": lang, "next": target}))
    assert answer.status_code == 200
    for code in ("nl", "en"):
        if f'lang="{code}" aria-current' in text(answer):
            continue  # the language shown has no link
        link = html.unescape(language_link(text(answer), code))
        assert link.startswith("/?") and urlsplit(link).netloc == ""
    assert_safe(answer, target, recorded)


CHECKOUT_FIELDS = ["email", "firstname", "lastname", "phone", "address", "city", "zip", "payment_id", "avg_optin",
                   "avg_mailinglist", "cart_id", "cart_version", "retry"]


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={name: hostile for name in CHECKOUT_FIELDS}))
@example(values={"zip": "Traceback"})  # found by Hypothesis: the form keeps it, and that is no stack trace
def test_checkout_fields(web, recorded, values):
    buyer = Buyer(web)
    token = csrf_token(buyer.reads(PERFORMANCE))
    buyer.adds(DE_STORM_FIRST, **{STANDARD: 1})
    answer = buyer.posts("/checkout/", {"csrf_token": token, **values})  # only what the hostile form holds
    assert answer.status_code in (303, 400, 409, 413, 422, 429), answer.status_code  # 413: over 64 KiB in all
    for value in values.values() or [""]:  # an empty form is checked too
        assert_safe(answer, value, recorded)
