"""The programme page with its search, filters, months and pages, through the test client
against the sandbox: the demo venue in both languages, and a large venue for paging."""

from __future__ import annotations

import html as htmllib
import json
import re
import subprocess
from datetime import date, datetime, timedelta

import pytest
from babel.dates import format_date
from helpers import catalogue_ready, text

from shop.vdm.models import VENUE_TZ

NL = {"Accept-Language": "nl-NL,nl;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
LANGUAGES = {"en": EN, "nl": NL}

SHOW = re.compile(r'<h3 id="show-\d+"><a href="/shows/\d+">([^<]+)</a></h3>')
MONTH = re.compile(r'<h2 class="month-heading">([^<]+)</h2>')
EVERY_SHOW = ["Nachtvlinders", "De Storm", "Jazz in de Foyer", "Het Gouden Uur", "Messiah",
              "Het Zwanenmeer voor kinderen", "Vier Seizoenen"]


def shows(page: str) -> list[str]:
    return [htmllib.unescape(name) for name in SHOW.findall(page)]


def show_ids(page: str) -> list[str]:
    return re.findall(r'<h3 id="show-(\d+)">', page)


def months(page: str) -> list[str]:
    return MONTH.findall(page)


def get(web, url: str, lang: str = "en") -> str:
    response = web.get(url, headers=LANGUAGES[lang])
    assert response.status_code == 200, url
    return text(response)


def selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select id="filter-{name}" name="{name}">(.*?)</select>', page, re.S)
    assert select, f"no {name} choice on the page"
    return re.findall(r'<option value="([^"]*)" selected>', select.group(1))


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select id="filter-{name}" name="{name}">(.*?)</select>', page, re.S)
    assert select, f"no {name} choice on the page"
    return [htmllib.unescape(label.strip()) for label in re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))]


def demo_performances(catalogue: dict) -> dict[str, list[tuple[date, int]]]:
    """The demo venue's visible performances per show, as the programme lists them:
    (day at the venue, hall), soonest first."""
    today = datetime.now(VENUE_TZ).date()
    found = {}
    for event in catalogue["events"]:
        days = [(today + timedelta(days=sub["days_from_today"]), sub["location_id"]) for sub in event["sub_events"]
                if sub["days_from_today"] > 0 and sub.get("event_status", "pub") in ("pub", "nosal")]
        if days:
            found[event["event_name"]] = sorted(days)
    return found


def month_name(day: date, lang: str) -> str:
    return format_date(day, "LLLL yyyy", locale=lang)


@pytest.fixture
def shop(app):
    catalogue_ready(app)
    return app.test_client()


# --- the whole programme ----------------------------------------------------------------------


@pytest.mark.parametrize("lang, words", [
    ("en", {"h1": "Programme", "search": "Search by title or company", "count": "7 shows on the programme",
            "all": ["All genres", "All halls", "All months"], "button": "Show"}),
    ("nl", {"h1": "Programma", "search": "Zoek op titel of gezelschap", "count": "7 voorstellingen op het programma",
            "all": ["Alle genres", "Alle zalen", "Alle maanden"], "button": "Toon"}),
])
def test_the_whole_programme_with_its_form_in_both_languages(shop, demo_catalogue, lang, words):
    page = get(shop, "/", lang)
    assert f"<h1>{words['h1']}</h1>" in page
    assert '<form method="get" action="/" class="filters" role="search"' in page
    assert f'<label for="filter-q">{words["search"]}</label>' in page
    assert '<input type="search" id="filter-q" name="q" value=""' in page
    assert f'<button type="submit" class="button primary">{words["button"]}</button>' in page
    assert f'<p class="result-count">{words["count"]}</p>' in page
    assert sorted(shows(page)) == sorted(EVERY_SHOW)
    # Only choices that find something, sorted by name.
    assert options(page, "genre") == [words["all"][0], "Cabaret", "Dans", "Jeugd", "Muziek", "Toneel"]
    assert options(page, "hall") == [words["all"][1], "Foyer", "Grote Zaal", "Kleine Zaal"]
    venue = demo_performances(demo_catalogue)
    every_month = sorted({day.replace(day=1) for days in venue.values() for day, _ in days})
    assert options(page, "month") == [words["all"][2], *(month_name(m, lang) for m in every_month)]
    # A heading per month of a show's first performance, the shows under it soonest first.
    first_months = sorted({days[0][0].replace(day=1) for days in venue.values()})
    assert months(page) == [month_name(m, lang) for m in first_months]
    assert shows(page) == sorted(venue, key=lambda name: venue[name][0])
    assert "Clear filters" not in page and "Filters wissen" not in page
    assert 'class="pagination"' not in page  # seven shows: one page


# --- each filter ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang, found", [("en", "1 show found"), ("nl", "1 voorstelling gevonden")])
def test_search(shop, lang, found):
    page = get(shop, "/?q=zwänenMEER", lang)
    assert shows(page) == ["Het Zwanenmeer voor kinderen"]
    assert f'<p class="result-count">{found}</p>' in page
    assert 'name="q" value="zwänenMEER"' in page  # the search stays in the field
    clear = "Clear filters" if lang == "en" else "Filters wissen"
    assert f'<a href="/" class="clear-filters">{clear}</a>' in page


def test_search_in_the_subtitle_and_every_word(shop):
    assert shows(get(shop, "/?q=lotte+brink")) == ["Nachtvlinders"]
    assert shows(get(shop, "/?q=kwartet+aurora")) == ["Vier Seizoenen"]
    assert shows(get(shop, "/?q=het")) == ["Het Gouden Uur", "Het Zwanenmeer voor kinderen"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_genre(shop, lang):
    page = get(shop, "/?genre=Muziek", lang)
    assert sorted(shows(page)) == ["Jazz in de Foyer", "Messiah", "Vier Seizoenen"]
    assert selected(page, "genre") == ["Muziek"]
    assert ("3 shows found" if lang == "en" else "3 voorstellingen gevonden") in page
    assert shows(get(shop, "/?genre=jeugd", lang)) == ["Het Zwanenmeer voor kinderen"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_hall(shop, demo_catalogue, lang):
    page = get(shop, "/?hall=2", lang)
    assert sorted(shows(page)) == ["Het Gouden Uur", "Nachtvlinders", "Vier Seizoenen"]
    assert selected(page, "hall") == ["2"]
    assert shows(get(shop, "/?hall=3", lang)) == ["Jazz in de Foyer"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_month(shop, demo_catalogue, lang):
    venue = demo_performances(demo_catalogue)
    month = max(day for days in venue.values() for day, _ in days).replace(day=1)  # the last month with a show
    playing = {name: [day for day, _ in days if day.replace(day=1) == month] for name, days in venue.items()}
    playing = {name: days for name, days in playing.items() if days}
    page = get(shop, f"/?month={month:%Y-%m}", lang)
    assert sorted(shows(page)) == sorted(playing)
    assert months(page) == [month_name(month, lang)]  # every show listed under the month chosen
    assert selected(page, "month") == [f"{month:%Y-%m}"]
    for name, days in playing.items():  # only that month's performances count on the card
        card = page[page.index(f">{name}</a>"):page.index("</article>", page.index(f">{name}</a>"))]
        if len(days) == 1:
            assert "performances" not in card and "voorstellingen" not in card
        else:
            assert f"({len(days)} " in card


def test_filters_combine(shop):
    assert sorted(shows(get(shop, "/?genre=Cabaret&hall=2"))) == ["Het Gouden Uur", "Nachtvlinders"]
    assert shows(get(shop, "/?genre=Cabaret&q=gouden&hall=2")) == ["Het Gouden Uur"]
    page = get(shop, "/?genre=Muziek&hall=3&q=jazz")
    assert shows(page) == ["Jazz in de Foyer"]
    assert (selected(page, "genre"), selected(page, "hall")) == (["Muziek"], ["3"])


# --- nothing found --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang, message, back", [
    ("en", "No shows match your search.", "See the whole programme"),
    ("nl", "Geen voorstellingen gevonden die passen bij je zoekopdracht.", "Bekijk het hele programma"),
])
@pytest.mark.parametrize("url", ["/?q=xyzzy", "/?genre=Cabaret&hall=1", "/?month=2001-01"])
def test_nothing_found_says_so_and_links_to_the_whole_programme(shop, lang, message, back, url):
    page = get(shop, url, lang)
    assert shows(page) == [] and months(page) == []
    assert f"<p>{message}</p>" in page and f'<a href="/">{back}</a>' in page
    assert "no performances on the programme right now" not in page
    assert "geen voorstellingen op het programma" not in page
    assert 'class="filters"' in page  # to choose again


def test_a_month_long_gone_stays_chosen(shop):
    page = get(shop, "/?month=2001-01")
    assert selected(page, "month") == ["2001-01"] and "January 2001" in page


def test_an_empty_programme_is_not_a_search_that_found_nothing(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"] = []
    app = make_app(start_sandbox(demo_catalogue).url)
    page = get(app.test_client(), "/?q=storm")
    assert "There are no performances on the programme right now" in page
    assert "No shows match your search." not in page and 'class="filters"' not in page


# --- bad parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "month=2026-13", "month=2026-1", "month=" + "9" * 500, "hall=abc", "hall=999999999999999999999", "hall=-1",
    "hall=77", "page=-1", "page=0", "page=10000", "page=abc", "genre=Onbekend", "genre=" + "x" * 500, "q=",
    "q=%00", "hall=%00", "month=%C2%B2", "genre=Muziek&genre=Toneel", "hall=1&hall=2", "unknown=1",
    "q=%EF%BF%BD", "page=%EF%BC%92", "hall=%D9%A2",
])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_bad_parameters_give_the_whole_programme(shop, query, lang):
    page = get(shop, "/?" + query, lang)
    assert sorted(shows(page)) == sorted(EVERY_SHOW)
    assert "Clear filters" not in page and "Filters wissen" not in page


def test_a_long_search_is_cut_and_escaped(shop):
    page = get(shop, "/?q=" + "<b>" * 100)
    assert 'value="' + "&lt;b&gt;" * 33 + '&lt;"' in page and "<b>" not in page
    assert "No shows match your search." in page


def test_the_form_sends_the_parameters_the_page_reads(shop):
    page = get(shop, "/")
    names = re.findall(r'<(?:input|select) [^>]*name="([^"]+)"', page[page.index('class="filters"'):])
    assert names[:4] == ["q", "genre", "hall", "month"]
    form = page[page.index('class="filters"'):page.index("</form>", page.index('class="filters"'))]
    assert "csrf_token" not in form  # a GET form: every result is a link to share


# --- a large venue: pages -------------------------------------------------------------------------


@pytest.fixture
def large(start_sandbox, make_app):
    app = make_app(start_sandbox(SANDBOX_CATALOGUE="large").url)
    catalogue_ready(app, seconds=60)
    return app.test_client()


PAGE_LINK = re.compile(r'<a href="([^"]+)" rel="(prev|next)">')
PAGE_OF = re.compile(r'<li class="page-of" aria-current="page">([^<]+)</li>')


def links(page: str) -> dict[str, str]:
    return {rel: htmllib.unescape(href) for href, rel in PAGE_LINK.findall(page)}


@pytest.mark.parametrize("lang, words", [("en", ("Page 1 of 5", "Page 5 of 5", "Next page", "Previous page")),
                                         ("nl", ("Pagina 1 van 5", "Pagina 5 van 5", "Volgende pagina",
                                                 "Vorige pagina"))])
def test_a_large_venue_is_shown_30_shows_a_page(large, lang, words):
    first = get(large, "/", lang)
    assert len(shows(first)) == 30 and PAGE_OF.findall(first) == [words[0]]
    assert links(first) == {"next": "/?page=2"} and f'rel="next">{words[2]}</a>' in first
    assert ("150 shows on the programme" if lang == "en" else "150 voorstellingen op het programma") in first
    seen = show_ids(first)
    url = links(first)["next"]
    for number in range(2, 6):
        page = get(large, url, lang)
        assert links(page)["prev"] == ("/" if number == 2 else f"/?page={number - 1}")
        seen += show_ids(page)
        url = links(page).get("next")
    assert url is None and PAGE_OF.findall(page) == [words[1]] and f'rel="prev">{words[3]}</a>' in page
    assert len(seen) == len(set(seen)) == 150  # every show once
    assert len(months(first)) >= 2  # the year's first months


def test_a_page_beyond_the_last_is_the_last(large):
    assert show_ids(get(large, "/?page=10000")) == show_ids(get(large, "/?page=5"))
    assert show_ids(get(large, "/?page=-1")) == show_ids(get(large, "/"))


def test_page_links_keep_the_filters(large):
    first = get(large, "/?genre=Toneel")
    count = int(re.search(r'<p class="result-count">(\d+) shows found</p>', first).group(1))
    assert count > 30, "the large venue should have more than 30 plays"
    assert links(first) == {"next": "/?genre=Toneel&page=2"}
    second = get(large, links(first)["next"])
    assert links(second)["prev"] == "/?genre=Toneel" and selected(second, "genre") == ["Toneel"]
    assert not set(show_ids(first)) & set(show_ids(second))
    everything = show_ids(first) + show_ids(second)
    for number in range(3, -(-count // 30) + 1):
        everything += show_ids(get(large, f"/?genre=Toneel&page={number}"))
    assert len(everything) == len(set(everything)) == count


def test_the_large_venues_halls_and_months_are_offered(large):
    page = get(large, "/")
    assert options(page, "hall")[1:] == ["Kleine Zaal", "Muziekzaal", "Schouwburgzaal", "Studio"]
    assert len(options(page, "month")) >= 13  # a year from today, past a year end
    genres = options(page, "genre")[1:]
    assert genres == sorted(genres, key=str.casefold) and "Jazz & Blues" in genres


# --- valid HTML in every state --------------------------------------------------------------------


def test_every_state_of_the_programme_is_valid_html(shop, large, tmp_path):
    from tools import vnu

    command = vnu()
    pages = {}
    for lang in LANGUAGES:
        for name, url in [("whole", "/"), ("filtered", "/?genre=Muziek&hall=1&q=mess"),
                          ("nothing", "/?q=xyzzy"), ("bad", "/?month=2026-13&hall=%00&q=%3Cb%3E")]:
            pages[f"{lang}-{name}"] = get(shop, url, lang)
        pages[f"{lang}-large-2"] = get(large, "/?page=2", lang)
    files = []
    for name, page in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(page, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([*command, "--format", "json", "--also-check-css", *files], capture_output=True,
                            text=True, timeout=120)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{m['url'].rsplit('/', 1)[-1]}: {m['message']}" for m in messages if m.get("type") == "error"]
    assert errors == []


# --- in a browser: 320 px wide, accessible ----------------------------------------------------------


def test_the_programme_at_320_px_needs_no_sideways_scrolling_and_passes_axe(start_sandbox, tmp_path):
    pytest.importorskip("playwright", reason="pip install -e '.[test]' installs Playwright")
    from axe_playwright_python.sync_playwright import Axe
    from helpers import SECRET, LiveServer
    from playwright.sync_api import sync_playwright
    from tools import ROOT, chromium

    from shop import create_app

    path = chromium()
    sandbox = start_sandbox(SANDBOX_CATALOGUE="large:40")
    shop = LiveServer(create_app({"SHOP_SECRET_KEY": SECRET, "VDM_API_URL": sandbox.url + "/v1"},
                                 instance_path=str(tmp_path / "shop")))
    shots = ROOT / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    wcag = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]}}
    try:
        catalogue_ready(shop.app, seconds=30)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            for locale in ("en-GB", "nl-NL"):
                page = browser.new_context(viewport={"width": 320, "height": 640}, locale=locale,
                                           bypass_csp=True).new_page()
                for name, url in [("whole", "/"), ("filtered", "/?genre=Muziek&month=" + "9999-01"),
                                  ("page-2", "/?page=2"), ("search", "/?q=de")]:
                    page.goto(shop.url + url)
                    page.screenshot(path=str(shots / f"programme-320-{locale}-{name}.png"), full_page=True)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 320, f"{locale} {url}: the page is {width} px wide"
                    violations = [f"{v['id']}: {v['help']}" for v in
                                  Axe().run(page, options=wcag).response["violations"]]
                    assert violations == [], f"{locale} {url}: {violations}"
                # Without JavaScript the form is a plain GET: choosing and sending gives a link to share.
                page.goto(shop.url + "/")
                page.get_by_label("Genre").select_option("Muziek")
                page.get_by_role("button", name="Show" if locale == "en-GB" else "Toon").click()
                assert "genre=Muziek" in page.url
                assert page.locator("h3").count() >= 1
            browser.close()
    finally:
        shop.app.extensions["box_office"].catalogue.stop()
        shop.stop()
