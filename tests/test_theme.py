"""A venue's theme (SHOP_THEME_DIR, shop/infra/theme.py): its templates replace the shop's file by
file and may extend the shop's own as shop/<name>; its static files are served beside the
shop's; the CSP stays as it is, because everything a theme brings comes from the shop's origin.
The example theme in examples/theme/ is the one most of these tests wear; tests/test_browser_theme.py
shows it in a real browser."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import Buyer, text
from tools import ROOT, vnu

from shop import STATIC
from shop.settings import ConfigError

EXAMPLE_THEME = ROOT / "examples" / "theme"
SHOP = "http://localhost"  # where Flask's test client says the shop is


@pytest.fixture
def themed(make_app, sandbox):
    return make_app(sandbox.url, SHOP_THEME_DIR=EXAMPLE_THEME)


@pytest.fixture
def themed_buyer(themed) -> Buyer:
    """A buyer at the shop wearing the example theme, with a ticket in the cart."""
    buyer = Buyer(themed.test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    return buyer


BUYERS_PAGES = ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/", "/checkout/")


def test_the_themes_header_and_footer_on_every_page_of_the_purchase(themed_buyer):
    buyer = themed_buyer
    for path in BUYERS_PAGES:
        html = buyer.reads(path)
        assert html.count('<nav class="theme-masthead"') == 1, path
        assert html.count('<footer class="site-footer theme-footer">') == 1, path
        assert 'href="/static/theme.css"' in html, path
        # The masthead comes before the shop's own header, which super() kept with its menu and languages.
        assert html.index("theme-masthead") < html.index('<header class="site-header">') < html.index('class="languages"')
        # The shop's footer is replaced, not added to.
        assert html.count("<footer") == 1, path
    assert '<h1>Your details</h1>' in html  # the checkout's own page, inside the theme's frame


def test_the_themes_texts_are_the_shops_and_so_translated(themed_buyer):
    footer = re.search(r'<footer class="site-footer theme-footer">.*</footer>', themed_buyer.reads("/", language="nl"),
                       re.S).group(0)
    assert ">Programma</a>" in footer and "Kaarten worden verkocht via VoordeMensen." in footer


def test_the_theme_changes_nothing_without_the_setting(web):
    html = text(web.get("/"))
    assert "theme-masthead" not in html and "theme.css" not in html
    assert web.get("/static/theme.css").status_code == 404


def test_the_themes_static_files_are_served_beside_the_shops(themed):
    web = themed.test_client()
    for name, kind in (("theme.css", "text/css"), ("theme-logo.svg", "image/svg+xml"),
                       ("fonts/atkinson-hyperlegible-latin-400-normal.woff2", "font/woff2")):
        answer = web.get(f"/static/{name}")
        assert answer.status_code == 200 and answer.mimetype == kind, name
        assert answer.data == (EXAMPLE_THEME / "static" / name).read_bytes(), name
    shops = web.get("/static/shop.css")
    assert shops.status_code == 200 and shops.data == (Path(STATIC) / "shop.css").read_bytes()
    assert web.get("/static/no-such-file.css").status_code == 404
    # Neither folder lets a request out of it.
    for path in ("/static/../README.md", "/static/..%2fREADME.md", "/static/%2e%2e/templates/base.html"):
        assert web.get(path).status_code == 404, path


@pytest.fixture
def own_theme(tmp_path) -> Path:
    """A theme of a venue's own: one page template replaced whole, one extending the shop's, and
    the shop's stylesheet replaced; no base.html, so the shop's own frames its pages."""
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "error.html").write_text(
        '{% extends "base.html" %}{% block title %}Oops{% endblock %}'
        '{% block main %}<h1 class="theme-error">Not here, sorry</h1>{% endblock %}', encoding="utf-8")
    (theme / "templates" / "cart.html").write_text(
        '{% extends "shop/cart.html" %}{% block title %}Basket{% endblock %}', encoding="utf-8")
    (theme / "static" / "shop.css").write_text("body { color: #111; }\n", encoding="utf-8")
    return theme


def test_a_themes_template_replaces_the_shops_file_by_file(make_app, sandbox, own_theme):
    buyer = Buyer(make_app(sandbox.url, SHOP_THEME_DIR=str(own_theme)).test_client())
    missing = buyer.opens("/no-such-page")
    assert missing.status_code == 404
    assert '<h1 class="theme-error">Not here, sorry</h1>' in text(missing) and "<title>Oops" in text(missing)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    cart = buyer.cart()
    # The theme's cart.html changed the title only: the rest is the shop's cart page.
    assert "<title>Basket ·" in cart and "<h1>Your cart</h1>" in cart and "To checkout" in cart
    # Pages the theme does not have are the shop's, with the shop's own header.
    programme = buyer.reads("/")
    assert "<h1>Programme</h1>" in programme and '<header class="site-header">' in programme
    assert buyer.opens("/static/shop.css").data == b"body { color: #111; }\n"


def test_a_themes_shop_prefix_always_means_the_shops_own_template(make_app, sandbox, own_theme):
    """A theme's extends "shop/cart.html" must reach the shop's file even if the theme has a
    folder named shop/: otherwise a theme's own template could end up extending itself."""
    (own_theme / "templates" / "shop").mkdir()
    (own_theme / "templates" / "shop" / "cart.html").write_text("not the shop's", encoding="utf-8")
    buyer = Buyer(make_app(sandbox.url, SHOP_THEME_DIR=str(own_theme)).test_client())
    assert "<h1>Your cart</h1>" in buyer.cart()


# --- the CSP: a theme brings nothing from elsewhere ------------------------------------------------


class Resources(HTMLParser):
    """The URLs a page loads: stylesheets, icons, fonts and images."""

    def __init__(self):
        super().__init__()
        self.styles: list[str] = []
        self.other: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            (self.styles if "stylesheet" in (attrs.get("rel") or "") else self.other).append(attrs["href"])
        elif tag in ("img", "source", "script", "iframe") and attrs.get("src"):
            self.images.append(attrs["src"])
        for srcset in filter(None, (attrs.get("srcset"),)):
            self.images += [part.split()[0] for part in srcset.split(",") if part.strip()]


def resources(html: str) -> Resources:
    found = Resources()
    found.feed(html)
    return found


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def test_the_csp_is_unchanged_with_a_theme(make_app, sandbox):
    plain = make_app(sandbox.url).test_client().get("/").headers["Content-Security-Policy"]
    themed = make_app(sandbox.url, SHOP_THEME_DIR=EXAMPLE_THEME).test_client().get("/").headers
    assert themed["Content-Security-Policy"] == plain
    assert "style-src 'self'" in plain and "default-src 'self'" in plain and "font-src" not in plain


def test_everything_the_themed_pages_load_comes_from_the_shop(themed_buyer, sandbox):
    """Stylesheets, the fonts and images in them, icons and the theme's images are the shop's own
    (same origin): only the shows' images come from VdM, which the shop itself allows."""
    buyer = themed_buyer
    stylesheets, images = set(), set()
    for path in BUYERS_PAGES:
        page = resources(buyer.reads(path))
        stylesheets |= {urljoin(SHOP + path, url) for url in page.styles}
        for url in page.other:
            assert same_origin(urljoin(SHOP + path, url)), (path, url)
        images |= {urljoin(SHOP + path, url) for url in page.images}
    assert SHOP + "/static/theme.css" in stylesheets and SHOP + "/static/shop.css" in stylesheets
    in_css = set()
    for sheet in stylesheets:
        assert same_origin(sheet), sheet
        in_css |= {urljoin(sheet, url) for url in CSS_URL.findall(text(buyer.opens(sheet)))}
    assert SHOP + "/static/fonts/atkinson-hyperlegible-latin-700-normal.woff2" in in_css
    for url in in_css:
        assert same_origin(url), url
        assert buyer.opens(url).status_code == 200, url  # every font the theme names is there
    assert SHOP + "/static/theme-logo.svg" in images
    for url in images:
        assert same_origin(url) or url.startswith(sandbox.url + "/"), url


def same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == SHOP


# --- a theme that cannot be used stops the start ---------------------------------------------------


@pytest.mark.parametrize("folder, message", [
    ("no/such/theme", "existing folder"),
    ("examples/theme/static/theme.css", "existing folder"),  # a file
    ("examples/theme/templates", "templates/ or static/"),  # the theme's own templates folder: nothing would change
])
def test_a_theme_folder_that_cannot_be_used_stops_the_start(make_app, sandbox, folder, message):
    with pytest.raises(ConfigError, match="SHOP_THEME_DIR") as refused:
        make_app(sandbox.url, SHOP_THEME_DIR=str(ROOT / folder))
    assert message in str(refused.value)


def test_a_relative_theme_folder_is_made_absolute(make_app, sandbox, monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(sandbox.url, SHOP_THEME_DIR="examples/theme")
    assert app.config["SHOP_THEME_DIR"] == str(EXAMPLE_THEME)  # absolute: a worker's folder may differ


def test_the_themed_pages_and_the_themes_stylesheet_are_valid(themed_buyer, tmp_path):
    """The Nu Html Checker on the pages as the theme frames them, and on theme.css."""
    files = []
    for path in BUYERS_PAGES:
        page = tmp_path / f"{path.strip('/').replace('/', '-') or 'programme'}.html"
        page.write_text(themed_buyer.reads(path), encoding="utf-8")
        files.append(str(page))
    checked = subprocess.run([*vnu(), "--format", "json", "--also-check-css", *files,
                              str(EXAMPLE_THEME / "static" / "theme.css")], capture_output=True, text=True, timeout=120)
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    errors = [f"{m['url'].rsplit('/', 1)[-1]}: {m['message']} [{m.get('extract', '').strip()[:80]}]"
              for m in messages if m["type"] == "error"]
    assert errors == []
