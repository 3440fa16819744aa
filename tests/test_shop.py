"""The buyer's pages before checkout, through the test client against the sandbox over HTTP."""

from __future__ import annotations

import re
import time

import pytest
from conftest import FakeUpstream, catalogue_ready, csrf_token, submit, text

from shop.vdm import VdmClient

STANDARD, STADSPAS, SENIOR = "2ePdA8q3BN", "AYDJK7JlkX", "Kp65PlusQ2"
NL = {"Accept-Language": "nl-NL,nl;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def add(web, performance_id=101, **quantities):
    data = {f"qty_{key}": str(value) for key, value in quantities.items()}
    return submit(web, f"/performances/{performance_id}", data, headers=EN)


def cart_count(html: str) -> int:
    return int(re.search(r'class="badge">(\d+)<', html).group(1))


# --- programme -------------------------------------------------------------------------------


def test_programme_lists_upcoming_shows_soonest_first(app, web):
    catalogue_ready(app)
    html = text(web.get("/", headers=NL))
    names = re.findall(r'<h3 id="show-\d+"><a href="/shows/\d+">([^<]+)</a>', html)
    assert names[:3] == ["Nachtvlinders", "De Storm", "Jazz in de Foyer"]
    assert "Vier Seizoenen" in names  # its unpublished second date does not hide the first
    assert "Cabaret van Lotte Brink" in html  # subtitle
    assert "Kleine Zaal" in html and "Grote Zaal" in html
    assert "vanaf €\xa018,38" in html  # the stadspas price of De Storm
    assert 'src="http' in html and "/sandbox/static/images/storm.svg" in html


def test_programme_states_and_past_or_unpublished_performances(start_sandbox, demo_catalogue, make_app):
    shows = demo_catalogue["events"]
    for sub in shows[0]["sub_events"]:
        sub["presold"] = 240  # De Storm: every performance sold out
    shows[1]["sub_events"] = [dict(shows[1]["sub_events"][0], event_status="nosal")]
    shows[2]["sub_events"] = [dict(shows[2]["sub_events"][0], event_status="unpub")]
    web = make_app(start_sandbox(demo_catalogue).url).test_client()
    html = text(web.get("/", headers=EN))
    storm = html[html.index("De Storm"):html.index("</article>", html.index("De Storm"))]
    assert "Sold out" in storm and "from" not in storm
    vlinders = html[html.index("Nachtvlinders"):html.index("</article>", html.index("Nachtvlinders"))]
    assert "Not on sale yet" in vlinders
    assert "Messiah" not in html  # only an unpublished performance
    show = text(web.get("/shows/500", headers=EN))
    assert "Not on sale yet" in show and show.count("Choose tickets") == 1  # 501 is past, 503 nosal


def test_empty_programme_says_so(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"] = []
    web = make_app(start_sandbox(demo_catalogue).url).test_client()
    page = web.get("/", headers=EN)
    assert page.status_code == 200 and "no performances on the programme right now" in text(page)


# --- show ----------------------------------------------------------------------------------


def test_show_page(web):
    html = text(web.get("/shows/600", headers=EN))
    assert "<h1>Het Gouden Uur</h1>" in html
    assert "Late-night improvisatie" in html
    assert "22:30 – 00:45" in html
    assert html.count('href="/performances/60') == 2


def test_show_description_is_sanitised(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"][0]["event_text"] = (
        '<p style="color:red" onclick="x()">Kept <strong>bold</strong> and <a href="https://example.org/x">a link</a>.</p>'
        '<script>alert("s")</script><img src="x" onerror="alert(1)">'
        '<a href="javascript:alert(2)">js</a><iframe src="https://evil.example"></iframe>'
        '<a href="JaVaScRiPt:alert(3)">js2</a><svg onload="alert(4)"></svg><style>body{}</style>'
    )
    web = make_app(start_sandbox(demo_catalogue).url).test_client()
    html = text(web.get("/shows/100"))
    description = html[html.index('<div class="description">'):html.index("</div>", html.index('class="description"'))]
    assert "<p>Kept <strong>bold</strong>" in description
    assert 'href="https://example.org/x"' in description and 'rel="noopener noreferrer nofollow"' in description
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "JaVaScRiPt", "<iframe", "style=", "<style",
                "<svg", "<img"):
        assert bad not in description, bad


def test_unknown_show_is_404(web):
    assert web.get("/shows/999999").status_code == 404
    assert web.get("/performances/999999").status_code == 404
    assert web.get("/shows/abc").status_code == 404


def test_performance_id_on_show_url_redirects(web):
    answer = web.get("/shows/101")
    assert answer.status_code == 301 and answer.headers["Location"].endswith("/performances/101")


# --- performance and adding to the cart --------------------------------------------------


def test_performance_page_prices_and_discounts(web):
    html = text(web.get("/performances/101", headers=NL))
    assert "€\xa024,50" in html and "€\xa018,38" in html and "€\xa022,00" in html
    assert html.count("<del>") == 2  # stadspas and 65+ show the base price struck through
    assert 'name="qty_2ePdA8q3BN"' in html and 'for="qty_2ePdA8q3BN"' in html
    assert "hoogstens 10" in html
    en = text(web.get("/performances/101", headers=EN))
    assert "€24.50" in en and "at most 10" in en


def test_add_two_types_at_once_then_two_performances(web):
    answer = add(web, 101, **{STANDARD: 2, STADSPAS: 1})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart/")
    assert add(web, 301, Cn7StuD8yQ=1).status_code == 303
    html = text(web.get("/cart/", headers=EN))
    assert "1 ticket was added to your cart." in html
    assert cart_count(html) == 4
    assert html.count('name="seat_id"') == 4
    assert "€79.88" in html  # 2 × 24.50 + 18.38 + 12.50 student, VdM's totalprice
    assert html.index("De Storm") < html.index("Messiah")
    assert "2 × Standaard" in html and "1 × Stadspas" in html


def test_the_header_counts_tickets_on_every_page(web):
    add(web, 101, **{STANDARD: 3})
    for url in ("/", "/shows/100", "/performances/101", "/cart/", "/nowhere"):
        assert cart_count(text(web.get(url))) == 3


def test_too_many_keeps_the_other_quantities(web):
    answer = add(web, 201, **{STANDARD: 5, STADSPAS: 4})  # at most 8 for Nachtvlinders
    assert answer.status_code == 422
    html = text(answer)
    assert "at most 8 tickets" in html.replace("hoogstens", "at most") or "hoogstens 8 kaarten" in html
    assert 'value="5"' in html and 'value="4"' in html
    assert 'aria-invalid="true"' in html and 'id="error-summary"' in html
    assert cart_count(text(web.get("/cart/"))) == 0


@pytest.mark.parametrize("typed", ["abc", "-1", "1.5", "1e3", "９", "99999"])
def test_quantity_must_be_a_whole_number(web, typed):
    answer = submit(web, "/performances/101", {f"qty_{STANDARD}": "2", f"qty_{STADSPAS}": typed}, headers=EN)
    assert answer.status_code == 422
    html = text(answer)
    assert "Enter a whole number from 0 up." in html or "at most 10 tickets" in html
    assert 'value="2"' in html
    assert f'value="{typed}"' in html or typed == "99999"


def test_nothing_chosen(web):
    answer = submit(web, "/performances/101", {f"qty_{STANDARD}": "0"}, headers=EN)
    assert answer.status_code == 422 and "Choose at least one ticket." in text(answer)


def test_unknown_ticket_type(web):
    answer = submit(web, "/performances/101", {"qty_NoSuchType": "2", f"qty_{STANDARD}": "1"}, headers=EN)
    assert answer.status_code == 422 and "no longer available" in text(answer)
    assert 'value="1"' in text(answer)


def test_sold_out_meanwhile(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"][0]["sub_events"][0]["capacity"] = 3
    sandbox = start_sandbox(demo_catalogue)
    web = make_app(sandbox.url).test_client()
    page = text(web.get("/performances/101", headers=EN))
    other = VdmClient(sandbox.url + "/v1", "demo")
    other.add_to_cart(other.create_cart(), 101, 3, STANDARD)  # someone else buys the last seats
    answer = web.post("/performances/101", data={"csrf_token": csrf_token(page), f"qty_{STANDARD}": "2",
                                                 f"qty_{STADSPAS}": "1"}, headers=EN)
    assert answer.status_code == 422
    html = text(answer)
    assert "These tickets could not be added" in html and 'value="2"' in html


def test_not_on_sale_performance_has_no_form_and_refuses_posts(web):
    html = text(web.get("/performances/503", headers=EN))
    assert "Not on sale yet" in html and 'name="qty_' not in html
    answer = submit(web, "/performances/503", {"qty_Fy5StdT6eF": "1"}, page="/performances/101", headers=EN)
    assert answer.status_code == 422 and "cannot be bought now" in text(answer)
    # The catalogue holds upcoming performances only: a past one is gone from the shop.
    assert web.get("/performances/501", headers=EN).status_code == 404
    assert web.get("/performances/702").status_code == 404  # unpublished


def test_post_without_csrf_token_is_refused(web):
    answer = web.post("/performances/101", data={f"qty_{STANDARD}": "1"})
    assert answer.status_code == 400
    assert cart_count(text(web.get("/cart/"))) == 0


# --- cart ----------------------------------------------------------------------------------


def test_remove_a_seat(web):
    add(web, 101, **{STANDARD: 2})
    html = text(web.get("/cart/"))
    seat_id = re.search(r'name="seat_id" value="([^"]+)"', html).group(1)
    answer = submit(web, "/cart/remove", {"seat_id": seat_id}, page="/cart/", headers=EN)
    assert answer.status_code == 303
    html = text(web.get("/cart/", headers=EN))
    assert cart_count(html) == 1 and "was removed" in html and "€24.50" in html
    again = submit(web, "/cart/remove", {"seat_id": seat_id}, page="/cart/", headers=EN)
    assert again.status_code == 303 and "no longer in your cart" in text(web.get("/cart/", headers=EN))
    bad = submit(web, "/cart/remove", {"seat_id": "../../order/create"}, page="/cart/")
    assert bad.status_code == 303 and cart_count(text(web.get("/cart/"))) == 1


def test_expired_cart_is_dropped_and_buyer_told(start_sandbox, make_app):
    sandbox = start_sandbox(SANDBOX_CART_MINUTES=0.01)
    web = make_app(sandbox.url).test_client()
    add(web, 101, **{STANDARD: 1})
    with web.session_transaction() as session:
        old_cart = session["cart_id"]
    time.sleep(0.7)
    page = web.get("/cart/", headers=EN)
    assert page.status_code == 200
    assert "Your cart had expired" in text(page) and "Your cart is empty." in text(page)
    with web.session_transaction() as session:
        assert "cart_id" not in session
    assert add(web, 101, **{STANDARD: 1}).status_code == 303
    with web.session_transaction() as session:
        assert session["cart_id"] != old_cart


def test_adding_to_an_expired_cart_starts_a_new_one(start_sandbox, make_app):
    web = make_app(start_sandbox(SANDBOX_CART_MINUTES=0.01).url).test_client()
    add(web, 101, **{STANDARD: 1})
    time.sleep(0.7)
    assert add(web, 101, **{STANDARD: 2}).status_code == 303
    html = text(web.get("/cart/", headers=EN))
    assert "previous cart had expired" in html and cart_count(html) == 2


def test_unknown_cart_in_session(web):
    with web.session_transaction() as session:
        session["cart_id"] = "made-up"
        session["cart_count"] = 4
    html = text(web.get("/cart/", headers=EN))
    assert "expired" in html and cart_count(html) == 0


# --- upstream trouble ------------------------------------------------------------------------


def test_upstream_down_keeps_the_cart(start_sandbox, make_app):
    sandbox = start_sandbox()
    web = make_app(sandbox.url, VDM_READ_TIMEOUT="1").test_client()
    add(web, 101, **{STANDARD: 1})
    sandbox.stop()
    page = web.get("/cart/", headers=EN)
    assert page.status_code == 503 and "box office cannot be reached" in text(page)
    with web.session_transaction() as session:
        assert session["cart_id"]


@pytest.mark.parametrize("status, body", [(200, "<html>oops</html>"), (500, ""), (200, '{"message": "db down"}'),
                                          (200, '[{"event_id": "x"}]')])
def test_upstream_garbage_is_a_friendly_503(make_app, status, body):
    fake = FakeUpstream()
    try:
        fake.answer("GET", "events/upcoming", status=status, body=body)
        page = make_app(fake.url, VDM_READ_TIMEOUT="1").test_client().get("/", headers=EN)
        assert page.status_code == 503 and "Try again" in text(page) and "Traceback" not in text(page)
    finally:
        fake.stop()


# --- caching ----------------------------------------------------------------------------------


def test_catalogue_pages_never_wait_on_vdm_but_the_cart_always_asks(app, web):
    calls = []
    catalogue_ready(app)
    app.extensions["box_office"].client().on_call = lambda method, path, seconds: calls.append(path)
    for page in ("/", "/shows/100", "/performances/101", "/?genre=Dans", "/shows/200"):
        assert web.get(page).status_code == 200
    assert calls == []
    add(web, 101, **{STANDARD: 1})
    calls.clear()
    web.get("/cart/")
    web.get("/cart/")
    assert len(calls) == 2 and all(c.startswith("cart/") for c in calls)


# --- languages ------------------------------------------------------------------------------


def test_language_from_header_default_dutch(web):
    assert '<html lang="nl">' in text(web.get("/")) and "Programma" in text(web.get("/"))
    assert '<html lang="nl">' in text(web.get("/", headers={"Accept-Language": "fr-FR"}))
    en = text(web.get("/", headers=EN))
    assert '<html lang="en">' in en and "Programme" in en and "Programma" not in en


def test_venue_default_language(make_app, sandbox):
    web = make_app(sandbox.url, SHOP_DEFAULT_LANGUAGE="en").test_client()
    assert '<html lang="en">' in text(web.get("/", headers={"Accept-Language": "fr"}))


def test_language_switch_is_remembered(web):
    answer = submit(web, "/language/en", {"next": "/shows/100"}, page="/shows/100", headers=NL)
    assert answer.status_code == 303 and answer.headers["Location"] == "/shows/100"
    html = text(web.get("/", headers=NL))
    assert '<html lang="en">' in html
    assert submit(web, "/language/nl", {"next": "/"}, page="/").status_code == 303
    assert '<html lang="nl">' in text(web.get("/", headers=EN))


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "", "/\x00x"])
def test_language_switch_never_redirects_away(web, target):
    answer = submit(web, "/language/en", {"next": target}, page="/")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_unknown_language_changes_nothing(web):
    submit(web, "/language/xx", {"next": "/"}, page="/")
    assert '<html lang="nl">' in text(web.get("/"))


def test_dates_and_money_in_each_language(start_sandbox, demo_catalogue, make_app):
    sub = demo_catalogue["events"][0]["sub_events"][0]
    sub.pop("days_from_today")
    sub.update(event_date="2027-03-13", event_time="20:15:00")
    web = make_app(start_sandbox(demo_catalogue).url).test_client()
    assert "za 13 mrt 2027 20:15" in text(web.get("/performances/101", headers=NL))
    assert "Sat 13 Mar 2027, 20:15" in text(web.get("/performances/101", headers=EN))
    add(web, 101, **{STANDARD: 1})
    assert "€\xa024,50" in text(web.get("/cart/", headers=NL))
    assert "€24.50" in text(web.get("/cart/", headers=EN))


def test_every_dutch_message_is_translated_and_compiled():
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parent.parent / "shop/translations/nl/LC_MESSAGES"
    with open(folder / "messages.po", "rb") as fh:
        po = read_po(fh)
    untranslated = [m.id for m in po if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []
    assert not [m.id for m in po if m.id and m.fuzzy]
    with open(folder / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    def strings(catalogue):
        return {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id: tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string for m in catalogue if m.id}

    assert strings(mo) == strings(po), "run pybabel compile"


# --- branding ---------------------------------------------------------------------------------


def test_venue_branding(make_app, sandbox):
    web = make_app(sandbox.url, VENUE_NAME="Stadsschouwburg Zuid", VENUE_ACCENT_COLOUR="#FFE066",
                   VENUE_LOGO_URL="/static/logo.svg", VENUE_CONTACT="Plein 1, Zuid|info@zuid.example",
                   VENUE_PRIVACY_URL="https://zuid.example/privacy", VENUE_TERMS_URL="https://zuid.example/av").test_client()
    html = text(web.get("/", headers=EN))
    assert "<title>Programme · Stadsschouwburg Zuid</title>" in html
    assert 'src="/static/logo.svg" alt="Stadsschouwburg Zuid"' in html
    assert "Plein 1, Zuid<br>info@zuid.example" in html
    assert 'href="https://zuid.example/privacy"' in html and 'href="https://zuid.example/av"' in html
    css = text(web.get("/branding.css"))
    # A light accent gets dark text on it, and dark links on white.
    assert "--accent: #ffe066" in css and "--on-accent: #111111" in css and "--accent-ink: #111111" in css


def test_bad_accent_colour_is_a_start_up_error(make_app, sandbox):
    from shop.settings import ConfigError

    with pytest.raises(ConfigError, match="VENUE_ACCENT_COLOUR"):
        make_app(sandbox.url, VENUE_ACCENT_COLOUR="red; background: url(x)")


def test_refused_after_a_new_cart_keeps_the_new_cart(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"][1]["sub_events"][0]["capacity"] = 3  # Nachtvlinders, performance 201
    sandbox = start_sandbox(demo_catalogue, SANDBOX_CART_MINUTES=0.01)
    web = make_app(sandbox.url).test_client()
    add(web, 201, **{STANDARD: 1})
    time.sleep(0.7)  # the cart expires; meanwhile someone else buys the last seats
    other = VdmClient(sandbox.url + "/v1", "demo")
    other.add_to_cart(other.create_cart(), 201, 3, STANDARD)
    answer = add(web, 201, **{STANDARD: 2})  # the shop's cached page still says 3 are left
    assert answer.status_code == 422 and "These tickets could not be added" in text(answer)
    assert "previous cart had expired" in text(answer)
    with web.session_transaction() as session:
        assert session["cart_id"]  # the new cart is kept for the next try
