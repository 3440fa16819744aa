"""Choosing seats in a real Chromium, as people do: by mouse, by keyboard alone and without
JavaScript; every state checked with axe-core (WCAG 2.2 A and AA) in both languages and at
320 CSS pixels; two buyers racing for one seat; and a keyboard-only purchase from the plan to
the order page with its rows and seats. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from demo import DE_STORM_FIRST, STADSPAS
from helpers import SECRET, LiveServer, catalogue_ready

from shop import create_app
from vdm_sandbox import create_app as create_sandbox

pytest.importorskip("playwright", reason="pip install -e '.[test]' installs Playwright")
from playwright.sync_api import Page, expect  # noqa: E402
from test_browser import VIEWPORTS, focused, new_buyer, press, tab_to, too_wide  # noqa: E402

KEY = "a-test-api-key-of-the-sandbox"
PLAN = f"/performances/{DE_STORM_FIRST}/seats"
LANGUAGES = ("en-GB", "nl-NL")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-seats")
    sandbox = LiveServer(create_sandbox({"SANDBOX_DB": str(folder / "sandbox.sqlite3"), "SECRET_KEY": SECRET,
                                         "SANDBOX_API_KEY": KEY}, instance_path=str(folder)))
    # Every buyer in these tests comes from 127.0.0.1: lift the per-address limits.
    shop = LiveServer(create_app({"SHOP_SECRET_KEY": SECRET, "VDM_API_URL": sandbox.url + "/v1", "VDM_API_KEY": KEY,
                                  "SHOP_DONATION": "1", "SHOP_RATE_LIMIT_CART": "1000 per minute",
                                  "SHOP_RATE_LIMIT_ORDER": "1000 per minute", "SHOP_HOLD_MAX": "1000",
                                  "SHOP_HOLD_MAX_PER_PERFORMANCE": "1000"}, instance_path=str(folder / "shop")))
    catalogue_ready(shop.app)
    yield shop
    shop.stop()
    sandbox.stop()


def seat(page: Page, row: int, number: int, section: str = "Parket"):
    """A seat's checkbox, found by its accessible name (English)."""
    return page.get_by_role("checkbox", name=re.compile(rf"^{section}, row {row}, seat {number},"))


def box(page: Page, row: int, number: int):
    """A seat's checkbox in any language: the n-th of its row on the Parket's plan (24 a row)."""
    return page.locator(f"#seat-{(row - 1) * 24 + number - 1}")


def submit(page: Page) -> None:
    page.locator("form.seat-plan [type=submit], form.seat-types [type=submit]").click()


def takes_elsewhere(browser, shop, row: int, number: int) -> None:
    """Another buyer, in a browser of their own, puts the seat in their cart."""
    other = new_buyer(browser, shop, "elsewhere")
    other.page.goto(shop.url + PLAN)
    box(other.page, row, number).check()
    submit(other.page)
    submit(other.page)
    expect(other.page.locator(".seat-place").first).to_be_visible()
    other.page.context.close()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_choosing_seats_by_mouse_in_every_state(browser, shop, locale):
    row = 2 if locale == "en-GB" else 3
    buyer = new_buyer(browser, shop, f"seats-{locale}", locale=locale)
    page = buyer.page
    page.goto(f"{shop.url}/performances/{DE_STORM_FIRST}")
    buyer.look("performance-with-plan")
    page.locator(f'a[href="{PLAN}"]').click()
    expect(page.locator("fieldset.seat-section")).to_have_count(2)
    buyer.look("plan")
    submit(page)  # nothing chosen
    expect(page.locator("#error-summary")).to_be_visible()
    buyer.look("plan-nothing-chosen")
    box(page, row, 1).check()
    box(page, row, 2).check()
    box(page, row, 3).check()
    submit(page)
    expect(page.locator("select")).to_have_count(3)
    buyer.look("types")
    takes_elsewhere(browser, shop, row, 1)  # while this buyer chooses ticket types
    page.locator("select").nth(2).select_option(index=1)
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()  # the plan again, seat 1 taken, the others kept
    expect(box(page, row, 1)).to_be_disabled()
    expect(box(page, row, 2)).to_be_checked()
    expect(box(page, row, 3)).to_be_checked()
    buyer.look("plan-seat-taken")
    submit(page)
    expect(page.locator("select")).to_have_count(2)
    expect(page.locator("select").nth(1)).to_have_value(STADSPAS)  # the type chosen for seat 3, kept
    submit(page)
    expect(page.locator(".seat-place")).to_have_count(2)
    expect(page.locator(".hold-time")).to_be_visible()
    buyer.look("cart-with-seats")
    page.goto(shop.url + "/checkout/")
    page.locator("#donation").fill("0,50")
    page.locator(".checkout-form [type=submit]").click()
    expect(page.locator("#donation-error")).to_be_visible()
    expect(page.locator("#donation")).to_have_value("0,50")
    buyer.look("checkout-donation-errors")


def test_the_plan_names_every_seat_for_screen_readers(browser, shop):
    buyer = new_buyer(browser, shop, "seat-names")
    page = buyer.page
    page.goto(shop.url + PLAN)
    expect(seat(page, 4, 12)).to_have_accessible_name(re.compile(r"^Parket, row 4, seat 12, Rang 1, from €18\.38$"))
    expect(page.get_by_role("group", name="Balkon")).to_be_visible()  # a fieldset per section
    expect(page.get_by_role("heading", level=2, name="Parket")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Row 4").first).to_be_visible()
    taken = page.locator("label.seat-taken input").first  # the sandbox sells only the first 240 seats
    expect(taken).to_be_disabled()
    expect(taken).to_have_accessible_name(re.compile(r", taken$"))


def test_two_buyers_race_for_one_seat(browser, shop):
    ann, bob = new_buyer(browser, shop, "race-ann"), new_buyer(browser, shop, "race-bob")
    for buyer, other in ((ann, 2), (bob, 3)):
        buyer.page.goto(shop.url + PLAN)
        seat(buyer.page, 4, 1).check()  # both want seat 1
        seat(buyer.page, 4, other).check()
        submit(buyer.page)
        expect(buyer.page.locator("select")).to_have_count(2)
    submit(ann.page)
    expect(ann.page.locator(".seat-place")).to_have_count(2)
    submit(bob.page)
    page = bob.page
    expect(page.get_by_text("Parket, row 4, seat 1 was taken meanwhile. Please choose another seat.")).to_be_visible()
    expect(seat(page, 4, 1)).to_be_disabled()
    expect(seat(page, 4, 3)).to_be_checked()
    expect(seat(page, 4, 2)).to_be_disabled()  # Ann's, now
    bob.look("race-lost")


def test_a_keyboard_only_buyer_chooses_seats_and_pays(browser, shop):
    buyer = new_buyer(browser, shop, "seats-keyboard")
    page = buyer.page
    page.goto(f"{shop.url}/performances/{DE_STORM_FIRST}")
    tab_to(page, lambda f: f["text"] == "Choose your seats")
    press(page)
    tab_to(page, lambda f: "Parket, row 1, seat 7," in f["label"])
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # seat 8, next to it
    press(page)  # Enter on a seat sends the plan's form: no tabbing past every other seat
    tab_to(page, lambda f: f["tag"] == "SELECT" and f["label"].startswith("Parket, row 1, seat 8"))
    page.keyboard.press("ArrowDown")  # Stadspas
    tab_to(page, lambda f: f["text"] == "Add to cart")
    press(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_text(re.compile(r"^Your tickets are held until \d\d:\d\d\."))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Standaard Parket, row 1, seat 7"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Stadspas Parket, row 1, seat 8"))).to_be_visible()
    buyer.look("keyboard-cart")
    tab_to(page, lambda f: f["text"] == "To checkout")
    press(page)
    expect(page.get_by_text(re.compile(r"^Your tickets are held until \d\d:\d\d\."))).to_be_visible()
    for label, typed in (("E-mail address", "ann@example.org"), ("First name", "Ann"), ("Last name", "de Vries"),
                         ("Donation", "5,00")):
        tab_to(page, lambda f, label=label: f["label"] == label)
        page.keyboard.type(typed)
    tab_to(page, lambda f: f["tag"] == "INPUT" and f["label"].startswith("iDEAL"))
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["text"] == "Continue to payment")
    press(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Payment for order"))
    tab_to(page, lambda f: f["text"] == "Pay")
    press(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is paid")
    expect(page.get_by_role("row", name=re.compile(r"Standaard Parket, row 1, seat 7"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Stadspas Parket, row 1, seat 8"))).to_be_visible()
    expect(page.get_by_text("Donation: €5.00")).to_be_visible()
    expect(page.locator(".order-lines .total")).to_contain_text("€47.88")  # 24.50 + 18.38 + 5.00
    buyer.look("keyboard-paid")


def test_the_keyboard_jumps_past_the_seats(browser, shop):
    """A keyboard reaches the balcony and the buttons without tabbing past every seat."""
    buyer = new_buyer(browser, shop, "seats-jumps")
    page = buyer.page
    page.goto(shop.url + PLAN)
    tab_to(page, lambda f: f["text"] == "Balkon")
    press(page)
    page.keyboard.press("Tab")
    assert "Balkon, row 1, seat 1," in focused(page)["label"]
    page.goto(shop.url + PLAN)
    tab_to(page, lambda f: f["text"] == "To the buttons")
    press(page)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Continue"


def test_without_javascript(browser, shop):
    buyer = new_buyer(browser, shop, "seats-nojs", javascript=False)
    page = buyer.page
    page.goto(shop.url + PLAN)
    seat(page, 6, 1).check()
    submit(page)
    submit(page)
    expect(page.get_by_role("row", name=re.compile(r"Parket, row 6, seat 1"))).to_be_visible()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_nothing_scrolls_sideways_at_320_pixels(browser, shop, locale):
    row = 7 if locale == "en-GB" else 8
    context = browser.new_context(viewport=VIEWPORTS["narrow"], locale=locale, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []

    def check(state: str) -> None:
        problem = too_wide(page, f"reflow-seats-{locale}-{state}")
        if problem:
            problems.append(f"{state}: {problem}")

    page.goto(shop.url + PLAN)
    check("plan")
    submit(page)
    check("plan-nothing-chosen")
    for number in (1, 2, 3):
        box(page, row, number).check()
    submit(page)
    check("types")
    takes_elsewhere(browser, shop, row, 1)
    submit(page)
    expect(box(page, row, 1)).to_be_disabled()
    check("plan-seat-taken")
    submit(page)
    submit(page)
    expect(page.locator(".seat-place").first).to_be_visible()
    check("cart")
    page.goto(shop.url + "/checkout/")
    page.locator("#donation").fill("veel")
    page.locator(".checkout-form [type=submit]").click()
    expect(page.locator("#donation-error")).to_be_visible()
    check("checkout-errors")
    context.close()
    assert problems == [], "\n".join(problems)
