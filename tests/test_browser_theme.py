"""A venue's own site in a real Chromium, with the shop's Content-Security-Policy in force (no
bypass_csp, unlike tests/test_browser.py): the example theme (examples/theme) loads and applies
without one violation, passes axe, does not scroll sideways at 320 px, and a purchase goes
through it to the payment page; and the shop framed by the venue's page (SHOP_FRAME_ANCESTORS)
leaves the frame for the payment."""

from __future__ import annotations

import re

import pytest
from demo import DE_STORM, DE_STORM_FIRST
from flask import Flask, request
from helpers import SECRET, LiveServer, catalogue_ready
from test_browser import AXE, VIEWPORTS, WCAG, Buyer, check_out, choose_tickets, too_wide
from test_theme import EXAMPLE_THEME

from shop import create_app
from vdm_sandbox import create_app as create_sandbox

pytest.importorskip("playwright", reason="pip install -e '.[test]' installs Playwright")
from playwright.sync_api import Page, expect  # noqa: E402

# Every buyer in these tests comes from 127.0.0.1: lift the per-address limits.
NO_LIMITS = {"SHOP_RATE_LIMIT_CART": "1000 per minute", "SHOP_RATE_LIMIT_ORDER": "1000 per minute",
             "SHOP_HOLD_MAX": "1000", "SHOP_HOLD_MAX_PER_PERFORMANCE": "1000"}
THEMED_PAGES = ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/", "/checkout/")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sandbox")
    server = LiveServer(create_sandbox({"SANDBOX_DB": str(folder / "sandbox.sqlite3"), "SECRET_KEY": SECRET},
                                       instance_path=str(folder)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def serve(sandbox, tmp_path_factory):
    """serve(**settings): a shop on the module's sandbox, served on a free port until the module ends."""
    servers = []

    def start(**settings) -> LiveServer:
        folder = tmp_path_factory.mktemp("shop")
        app = create_app({"SHOP_SECRET_KEY": SECRET, "VDM_API_URL": sandbox.url + "/v1", **NO_LIMITS, **settings},
                         instance_path=str(folder))
        catalogue_ready(app)
        servers.append(LiveServer(app))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
        server.app.extensions["box_office"].catalogue.stop()


@pytest.fixture(scope="module")
def themed(serve) -> LiveServer:
    return serve(SHOP_THEME_DIR=str(EXAMPLE_THEME), VENUE_NAME="Theater De Lindeboom")


class Console:
    """What the browser said about the Content-Security-Policy while a test ran: Chromium reports
    every refused stylesheet, font, image, inline style or frame on the console."""

    def __init__(self, page: Page):
        self.messages: list[str] = []
        page.on("console", lambda message: self.messages.append(message.text))
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "page error" in m]


def open_page(browser, url: str, viewport: str = "desktop") -> tuple[Page, Console]:
    """A page in a browser that keeps the shop's CSP (no bypass_csp)."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    console = Console(page)
    page.goto(url)
    return page, console


def theme_in_use(page: Page) -> dict:
    """What the theme's stylesheet and font did to the page, as the browser computed it."""
    return page.evaluate("""async () => {
        await document.fonts.ready;
        const header = getComputedStyle(document.querySelector('.site-header'));
        return {
            font: getComputedStyle(document.body).fontFamily,
            header: header.backgroundColor,
            brandShown: getComputedStyle(document.querySelector('.site-header .brand')).display !== 'none',
            logo: document.querySelector('.theme-masthead .theme-logo').naturalWidth,
            loaded: [...document.fonts].filter(f => f.status === 'loaded').map(f => `${f.family} ${f.weight}`),
        };
    }""")


def test_the_theme_applies_under_the_shops_csp(browser, themed):
    page, console = open_page(browser, themed.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")
    applied = theme_in_use(page)
    assert applied["font"].startswith('"Atkinson Hyperlegible"'), applied
    assert applied["header"] == "rgb(20, 64, 58)", applied  # the theme's --band
    assert not applied["brandShown"], applied
    # The font file itself came from the theme's static folder (a refused font would stay unloaded).
    assert "Atkinson Hyperlegible 400" in applied["loaded"], applied
    assert applied["logo"] > 0, applied  # the theme's image, loaded
    expect(page.get_by_role("navigation", name="Theater De Lindeboom").get_by_role("link")).to_have_text(
        "Theater De Lindeboom")
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    violations = [f"{v['id']}: {v['help']}" for v in results.response["violations"]]
    assert violations == []
    assert console.csp_violations() == []


def test_the_console_does_report_what_the_csp_refuses(browser, serve, tmp_path):
    """The check above can fail: a theme that brings an inline style and a stylesheet from another
    site is refused by the same CSP, and the console says so."""
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "base.html").write_text(
        '{% extends "shop/base.html" %}{% block head_extra %}<style>body { color: red; }</style>'
        '<link rel="stylesheet" href="https://fonts.example.org/font.css">{% endblock %}', encoding="utf-8")
    page, console = open_page(browser, serve(SHOP_THEME_DIR=str(theme)).url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")
    refused = console.csp_violations()
    assert any("inline style" in m for m in refused) and any("fonts.example.org" in m for m in refused), refused


def test_the_themed_shop_does_not_scroll_sideways_at_320_pixels(browser, themed):
    page, console = open_page(browser, themed.url + f"/performances/{DE_STORM_FIRST}", "narrow")
    page.get_by_label("Standaard").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    problems = []
    for path in THEMED_PAGES:
        page.goto(themed.url + path)
        problem = too_wide(page, f"theme-320{path.rstrip('/').replace('/', '-') or '-programme'}")
        if problem:
            problems.append(f"{path}: {problem}")
    assert problems == []
    assert console.csp_violations() == []


def test_a_purchase_through_the_themed_shop(browser, themed):
    page, console = open_page(browser, themed.url + "/")
    buyer = Buyer(page, themed.url, "theme")  # axe and a photograph at every step
    choose_tickets(buyer)
    expect(page.locator(".theme-masthead")).to_be_visible()
    expect(page.locator(".theme-footer")).to_be_visible()
    check_out(buyer)  # ends on the sandbox's payment page
    buyer.button("Pay")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is paid")
    expect(page.locator(".theme-footer")).to_be_visible()
    buyer.look("paid")
    assert console.csp_violations() == []


# --- the shop in a frame on the venue's page --------------------------------------------------------


@pytest.fixture(scope="module")
def venue_site():
    """The venue's own page with the shop in a frame (`?shop=` the shop's address)."""
    site = Flask("venue")

    @site.get("/")
    def page():
        return (f'<!doctype html><html lang="en"><title>Venue</title><h1>Our venue</h1>'
                f'<iframe src="{request.args["shop"]}/" title="Tickets" width="1000" height="1400"></iframe>')

    server = LiveServer(site)
    yield server
    server.stop()


def test_framed_on_the_venues_site_the_payment_leaves_the_frame(browser, serve, venue_site):
    # 127.0.0.1 on another port is the same site, as www.venue.example is for tickets.venue.example:
    # the session cookie (SameSite=Lax) goes with the frame's requests.
    shop = serve(SHOP_FRAME_ANCESTORS=venue_site.url)
    page, console = open_page(browser, f"{venue_site.url}/?shop={shop.url}")
    frame = page.frame_locator("iframe")
    frame.get_by_role("link", name="De Storm").first.click()
    frame.get_by_role("link", name=re.compile(r"^Choose tickets")).first.click()
    frame.get_by_label("Standaard").fill("2")
    frame.get_by_role("button", name="Add to cart").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Your cart")
    frame.get_by_role("link", name="To checkout").click()
    frame.get_by_label("E-mail address").fill("ann@example.org")
    frame.get_by_label("First name").fill("Ann")
    frame.get_by_label("Last name").fill("de Vries")
    frame.get_by_label(re.compile(r"^iDEAL")).check()
    frame.get_by_role("button", name="Continue to payment").click()
    # The payment page is the whole window now, not the frame's.
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Payment for order"))
    assert page.url.startswith(shop.app.config["VDM_API_URL"].removesuffix("/v1"))
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is paid")
    assert page.url.startswith(shop.url + "/order/")
    assert console.csp_violations() == []


def test_a_site_the_shop_does_not_name_cannot_frame_it(browser, serve, venue_site):
    shop = serve(SHOP_FRAME_ANCESTORS=venue_site.url)
    elsewhere = venue_site.url.replace("127.0.0.1", "localhost")  # another origin than the one named
    page, console = open_page(browser, f"{elsewhere}/?shop={shop.url}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Our venue")
    expect(page.frame_locator("iframe").get_by_role("heading", name="Programme")).to_have_count(0)
    assert any("frame-ancestors" in m for m in console.csp_violations()), console.messages
