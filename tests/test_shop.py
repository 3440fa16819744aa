"""The buyer's pages before checkout, through the test client against the sandbox over HTTP."""

from __future__ import annotations

import re

import pytest
from demo import (
    AFTER_MIDNIGHT,
    DE_STORM,
    DE_STORM_FIRST,
    FOYER_STANDARD,
    GOUDEN_UUR,
    GOUDEN_UUR_LATER,
    JAZZ,
    MESSIAH,
    MESSIAH_FIRST,
    NACHTVLINDERS,
    NACHTVLINDERS_FIRST,
    NOT_ON_SALE_YET,
    PAST,
    STADSPAS,
    STANDARD,
    STUDENT,
    UNPUBLISHED,
    ZWANENMEER,
)
from helpers import Buyer, Clock, catalogue_ready, csrf_token, language_link, text, vdm_calls

from shop.vdm import VdmClient

CART_MINUTES = 30  # how long the sandbox keeps a cart that nobody changes (SANDBOX_CART_MINUTES)


def expiring_shop(start_sandbox, make_app, catalogue=None) -> tuple[Buyer, Clock, str]:
    """A buyer at a shop whose sandbox keeps carts CART_MINUTES by a clock the test moves."""
    clock = Clock()
    sandbox = start_sandbox(catalogue, clock=clock, SANDBOX_CART_MINUTES=str(CART_MINUTES))
    return Buyer(make_app(sandbox.url).test_client(), "en"), clock, sandbox.url


def cart_id(buyer: Buyer) -> str | None:
    with buyer.web.session_transaction() as session:
        return session.get("cart_id")


# --- programme -------------------------------------------------------------------------------


def test_programme_lists_upcoming_shows_soonest_first(app, web):
    catalogue_ready(app)
    html = Buyer(web, "nl").reads("/")
    names = re.findall(r'<h3 id="show-\d+"><a href="/shows/\d+">([^<]+)</a>', html)
    assert names[:3] == ["Nachtvlinders", "De Storm", "Jazz in de Foyer"]
    assert "Vier Seizoenen" in names  # its unpublished second date does not hide the first
    assert "Cabaret van Lotte Brink" in html  # subtitle
    assert "Kleine Zaal" in html and "Grote Zaal" in html
    assert "vanaf €\xa018,38" in html  # the stadspas price of De Storm
    assert 'src="http' in html and "/sandbox/static/images/storm.svg" in html


def test_programme_states_and_past_or_unpublished_performances(start_sandbox, demo_catalogue, make_app):
    shows = {show["event_id"]: show for show in demo_catalogue["events"]}
    for sub in shows[DE_STORM]["sub_events"]:
        sub["presold"] = 240  # every performance sold out
    shows[NACHTVLINDERS]["sub_events"] = [dict(shows[NACHTVLINDERS]["sub_events"][0], event_status="nosal")]
    shows[MESSIAH]["sub_events"] = [dict(shows[MESSIAH]["sub_events"][0], event_status="unpub")]
    buyer = Buyer(make_app(start_sandbox(demo_catalogue).url).test_client())
    html = buyer.reads("/")
    storm = html[html.index("De Storm"):html.index("</article>", html.index("De Storm"))]
    assert "Sold out" in storm and "from" not in storm
    vlinders = html[html.index("Nachtvlinders"):html.index("</article>", html.index("Nachtvlinders"))]
    assert "Not on sale yet" in vlinders
    assert "Messiah" not in html  # only an unpublished performance
    show = buyer.reads(f"/shows/{JAZZ}")
    # PAST is gone, NOT_ON_SALE_YET is shown without tickets, JAZZ_ON_SALE sells.
    assert "Not on sale yet" in show and show.count("Choose tickets") == 1


def test_empty_programme_says_so(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"] = []
    buyer = Buyer(make_app(start_sandbox(demo_catalogue).url).test_client())
    page = buyer.opens("/")
    assert page.status_code == 200 and "no performances on the programme right now" in text(page)


# --- show ----------------------------------------------------------------------------------


def test_show_page(buyer):
    html = buyer.reads(f"/shows/{GOUDEN_UUR}")
    assert "<h1>Het Gouden Uur</h1>" in html
    assert "Late-night improvisatie" in html
    assert "22:30 – 00:45" in html  # AFTER_MIDNIGHT ends the next day
    for performance in (AFTER_MIDNIGHT, GOUDEN_UUR_LATER):
        assert html.count(f'href="/performances/{performance}"') == 1, performance


def test_show_description_is_sanitised(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"][0]["event_text"] = (
        '<p style="color:red" onclick="x()">Kept <strong>bold</strong> and <a href="https://example.org/x">a link</a>.</p>'
        '<script>alert("s")</script><img src="x" onerror="alert(1)">'
        '<a href="javascript:alert(2)">js</a><iframe src="https://evil.example"></iframe>'
        '<a href="JaVaScRiPt:alert(3)">js2</a><svg onload="alert(4)"></svg><style>body{}</style>'
    )
    html = Buyer(make_app(start_sandbox(demo_catalogue).url).test_client()).reads(f"/shows/{DE_STORM}")
    description = html[html.index('<div class="description">'):html.index("</div>", html.index('class="description"'))]
    assert "<p>Kept <strong>bold</strong>" in description
    assert 'href="https://example.org/x"' in description and 'rel="noopener noreferrer nofollow"' in description
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "JaVaScRiPt", "<iframe", "style=", "<style",
                "<svg", "<img"):
        assert bad not in description, bad


def test_unknown_show_is_404(buyer):
    assert buyer.opens("/shows/999999").status_code == 404
    assert buyer.opens("/performances/999999").status_code == 404
    assert buyer.opens("/shows/abc").status_code == 404


def test_performance_id_on_show_url_redirects(buyer):
    answer = buyer.opens(f"/shows/{DE_STORM_FIRST}")
    assert answer.status_code == 301 and answer.headers["Location"].endswith(f"/performances/{DE_STORM_FIRST}")


# --- performance and adding to the cart --------------------------------------------------


def test_performance_page_prices_and_discounts(buyer):
    html = buyer.reads(f"/performances/{DE_STORM_FIRST}", language="nl")
    assert "€\xa024,50" in html and "€\xa018,38" in html and "€\xa022,00" in html
    assert html.count("<del>") == 2  # stadspas and 65+ show the base price struck through
    assert f'name="qty_{STANDARD}"' in html and f'for="qty_{STANDARD}"' in html
    assert "hoogstens 10" in html
    en = buyer.reads(f"/performances/{DE_STORM_FIRST}")
    assert "€24.50" in en and "at most 10" in en


def test_add_two_types_at_once_then_two_performances(buyer):
    answer = buyer.adds(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: 1})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart/")
    assert buyer.adds(MESSIAH_FIRST, **{STUDENT: 1}).status_code == 303
    html = buyer.cart()
    assert "1 ticket was added to your cart." in html
    assert buyer.cart_count(html) == 4
    assert html.count('name="seat_id"') == 4
    assert "€79.88" in html  # 2 × 24.50 + 18.38 + 12.50 student, VdM's totalprice
    assert html.index("De Storm") < html.index("Messiah")
    assert "2 × Standaard" in html and "1 × Stadspas" in html


def test_the_header_counts_tickets_on_every_page(buyer):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 3})
    for url in ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/", "/nowhere"):
        assert buyer.cart_count(text(buyer.opens(url))) == 3, url


@pytest.mark.parametrize("language, message", [("en", "You can buy at most 8 tickets for this performance."),
                                               ("nl", "Je kunt voor deze voorstelling hoogstens 8 kaarten kopen.")])
def test_too_many_keeps_the_other_quantities(web, language, message):
    buyer = Buyer(web, language)
    answer = buyer.adds(NACHTVLINDERS_FIRST, **{STANDARD: 5, STADSPAS: 4})  # at most 8 for Nachtvlinders
    assert answer.status_code == 422
    html = text(answer)
    assert f'<a href="#qty_{STANDARD}">Standaard: {message}</a>' in html  # in the buyer's language only
    assert 'value="5"' in html and 'value="4"' in html
    assert 'aria-invalid="true"' in html and 'id="error-summary"' in html
    assert buyer.cart_count() == 0


@pytest.mark.parametrize("typed", ["abc", "-1", "1.5", "1e3", "９", "99999"])
def test_quantity_must_be_a_whole_number(buyer, typed):
    answer = buyer.adds(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: typed})
    assert answer.status_code == 422
    html = text(answer)
    # The error is the Stadspas field's own: in the summary, linked to it, and beside it.
    assert f'<a href="#qty_{STADSPAS}">Stadspas: Enter a whole number from 0 up.</a>' in html
    assert f'id="qty_{STADSPAS}-error">Enter a whole number from 0 up.' in html
    assert f'id="qty_{STANDARD}-error"' not in html  # the good one is not marked
    assert f'name="qty_{STANDARD}" pattern="[0-9]*" size="3" type="text" value="2"' in html
    assert f'name="qty_{STADSPAS}" pattern="[0-9]*" size="3" type="text" value="{typed}"' in html  # kept as typed


def test_nothing_chosen(buyer):
    answer = buyer.adds(DE_STORM_FIRST, **{STANDARD: 0})
    assert answer.status_code == 422 and "Choose at least one ticket." in text(answer)


def test_unknown_ticket_type(buyer):
    answer = buyer.adds(DE_STORM_FIRST, NoSuchType=2, **{STANDARD: 1})
    assert answer.status_code == 422 and "no longer available" in text(answer)
    assert 'value="1"' in text(answer)


def test_sold_out_meanwhile(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"][0]["sub_events"][0]["capacity"] = 3  # DE_STORM_FIRST
    sandbox = start_sandbox(demo_catalogue)
    buyer = Buyer(make_app(sandbox.url).test_client())
    page = buyer.reads(f"/performances/{DE_STORM_FIRST}")
    other = VdmClient(sandbox.url + "/v1", "demo")
    other.add_to_cart(other.create_cart(), DE_STORM_FIRST, 3, STANDARD)  # someone else buys the last seats
    answer = buyer.posts(f"/performances/{DE_STORM_FIRST}", {"csrf_token": csrf_token(page), f"qty_{STANDARD}": "2",
                                                             f"qty_{STADSPAS}": "1"})
    assert answer.status_code == 422
    html = text(answer)
    assert "These tickets could not be added" in html and 'value="2"' in html


def test_not_on_sale_performance_has_no_form_and_refuses_posts(buyer):
    html = buyer.reads(f"/performances/{NOT_ON_SALE_YET}")
    assert "Not on sale yet" in html and 'name="qty_' not in html
    answer = buyer.sends(f"/performances/{NOT_ON_SALE_YET}", {f"qty_{FOYER_STANDARD}": "1"},
                         page=f"/performances/{DE_STORM_FIRST}")
    assert answer.status_code == 422 and "cannot be bought now" in text(answer)
    # The catalogue holds upcoming performances only: a past one is gone from the shop.
    assert buyer.opens(f"/performances/{PAST}").status_code == 404
    assert buyer.opens(f"/performances/{UNPUBLISHED}").status_code == 404


def test_post_without_csrf_token_is_refused(buyer):
    answer = buyer.posts(f"/performances/{DE_STORM_FIRST}", {f"qty_{STANDARD}": "1"})
    assert answer.status_code == 400
    assert buyer.cart_count() == 0


# --- cart ----------------------------------------------------------------------------------


def test_remove_a_seat(buyer):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    seat_id = re.search(r'name="seat_id" value="([^"]+)"', buyer.cart()).group(1)
    assert buyer.removes(seat_id).status_code == 303
    html = buyer.cart()
    assert buyer.cart_count(html) == 1 and "was removed" in html and "€24.50" in html
    again = buyer.removes(seat_id)
    assert again.status_code == 303 and "no longer in your cart" in buyer.cart()
    bad = buyer.removes("../../order/create")
    assert bad.status_code == 303 and buyer.cart_count() == 1


def test_expired_cart_is_dropped_and_buyer_told(start_sandbox, make_app):
    buyer, clock, _ = expiring_shop(start_sandbox, make_app)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    old_cart = cart_id(buyer)
    clock.advance(CART_MINUTES * 60 - 60)
    assert buyer.cart_count() == 1 and cart_id(buyer) == old_cart  # a minute to go: still there
    clock.advance(61)
    page = buyer.opens("/cart/")
    assert page.status_code == 200
    assert "Your cart had expired" in text(page) and "Your cart is empty." in text(page)
    assert cart_id(buyer) is None
    assert buyer.adds(DE_STORM_FIRST, **{STANDARD: 1}).status_code == 303
    assert cart_id(buyer) not in (None, old_cart)


def test_adding_to_an_expired_cart_starts_a_new_one(start_sandbox, make_app):
    buyer, clock, _ = expiring_shop(start_sandbox, make_app)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    clock.advance(CART_MINUTES * 60 + 1)
    assert buyer.adds(DE_STORM_FIRST, **{STANDARD: 2}).status_code == 303
    html = buyer.cart()
    assert "previous cart had expired" in html and buyer.cart_count(html) == 2


def test_unknown_cart_in_session(buyer):
    with buyer.web.session_transaction() as session:
        session["cart_id"] = "made-up"
        session["cart_count"] = 4
    html = buyer.cart()
    assert "expired" in html and buyer.cart_count(html) == 0


def test_refused_after_a_new_cart_keeps_the_new_cart(start_sandbox, demo_catalogue, make_app):
    demo_catalogue["events"][1]["sub_events"][0]["capacity"] = 3  # NACHTVLINDERS_FIRST
    buyer, clock, sandbox_url = expiring_shop(start_sandbox, make_app, demo_catalogue)
    buyer.has_tickets(NACHTVLINDERS_FIRST, **{STANDARD: 1})
    clock.advance(CART_MINUTES * 60 + 1)  # the cart expires; meanwhile someone else buys the last seats
    other = VdmClient(sandbox_url + "/v1", "demo")
    other.add_to_cart(other.create_cart(), NACHTVLINDERS_FIRST, 3, STANDARD)
    answer = buyer.adds(NACHTVLINDERS_FIRST, **{STANDARD: 2})  # the shop's cached page still says 3 are left
    assert answer.status_code == 422 and "These tickets could not be added" in text(answer)
    assert "previous cart had expired" in text(answer)
    assert cart_id(buyer)  # the new cart is kept for the next try


# --- upstream trouble ------------------------------------------------------------------------


def test_upstream_down_keeps_the_cart(start_sandbox, make_app):
    sandbox = start_sandbox()
    buyer = Buyer(make_app(sandbox.url, VDM_READ_TIMEOUT="1").test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    sandbox.stop()
    page = buyer.opens("/cart/")
    assert page.status_code == 503 and "box office cannot be reached" in text(page)
    assert cart_id(buyer)


@pytest.mark.parametrize("status, body", [(200, "<html>oops</html>"), (500, ""), (200, '{"message": "db down"}'),
                                          (200, '[{"event_id": "x"}]')])
def test_upstream_garbage_is_a_friendly_503(make_app, fake_upstream, status, body):
    fake_upstream.answer("GET", "events/upcoming", status=status, body=body)
    page = Buyer(make_app(fake_upstream.url, VDM_READ_TIMEOUT="1").test_client()).opens("/")
    assert page.status_code == 503 and "Try again" in text(page) and "Traceback" not in text(page)


# --- caching ----------------------------------------------------------------------------------


def test_catalogue_pages_never_wait_on_vdm_but_the_cart_always_asks(app, buyer):
    catalogue_ready(app)
    calls = vdm_calls(app)
    for page in ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/?genre=Dans", f"/shows/{NACHTVLINDERS}",
                 f"/shows/{ZWANENMEER}"):
        assert buyer.opens(page).status_code == 200, page
    assert calls == []
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    calls.clear()
    buyer.cart()
    buyer.cart()
    assert len(calls) == 2 and all(c.startswith("cart/") for c in calls)


# --- languages ------------------------------------------------------------------------------


def test_language_from_header_default_dutch(web):
    assert '<html lang="nl">' in Buyer(web, None).reads("/") and "Programma" in Buyer(web, None).reads("/")
    assert '<html lang="nl">' in Buyer(web, "fr-FR").reads("/")
    en = Buyer(web, "en-GB,en;q=0.9").reads("/")
    assert '<html lang="en">' in en and "Programme" in en and "Programma" not in en


def test_venue_default_language(make_app, sandbox):
    buyer = Buyer(make_app(sandbox.url, SHOP_DEFAULT_LANGUAGE="en").test_client(), "fr")
    assert '<html lang="en">' in buyer.reads("/")


def test_language_switch_is_remembered(web):
    buyer = Buyer(web, "nl")
    assert language_link(buyer.reads(f"/shows/{DE_STORM}"), "en") == f"/shows/{DE_STORM}?lang=en"
    switched = buyer.switches_language("en", on=f"/shows/{DE_STORM}")
    assert switched.status_code == 200 and '<html lang="en">' in text(switched)  # the same page, in English
    assert '<html lang="en">' in buyer.reads("/")  # though the browser still asks for Dutch
    buyer.switches_language("nl", on="/")
    assert '<html lang="nl">' in buyer.reads("/", language="en")


@pytest.mark.parametrize("query", ["q=//evil.example/", "q=https://evil.example/", "next=/\\evil.example",
                                   "q=javascript:alert(1)", "q=%22%3E%3Cscript%3E"])
def test_the_language_switch_stays_on_the_same_page(buyer, query):
    link = language_link(buyer.reads(f"/?{query}"), "nl")
    assert link.startswith("/?") and link.endswith("lang=nl") and "<" not in link and '"' not in link


def test_unknown_language_changes_nothing(web):
    buyer = Buyer(web, None)
    assert '<html lang="nl">' in buyer.reads("/?lang=xx", language="en-GB;q=0.1,nl")
    assert '<html lang="en">' in buyer.reads("/", language="en")


def test_dates_and_money_in_each_language(start_sandbox, demo_catalogue, make_app):
    sub = demo_catalogue["events"][0]["sub_events"][0]  # DE_STORM_FIRST
    sub.pop("days_from_today")
    sub.update(event_date="2027-03-13", event_time="20:15:00")
    buyer = Buyer(make_app(start_sandbox(demo_catalogue).url).test_client())
    assert "za 13 mrt 2027 20:15" in buyer.reads(f"/performances/{DE_STORM_FIRST}", language="nl")
    assert "Sat 13 Mar 2027, 20:15" in buyer.reads(f"/performances/{DE_STORM_FIRST}", language="en")
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    assert "€\xa024,50" in buyer.cart(language="nl")
    assert "€24.50" in buyer.cart(language="en")


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
    buyer = Buyer(make_app(sandbox.url, VENUE_NAME="Stadsschouwburg Zuid", VENUE_ACCENT_COLOUR="#FFE066",
                           VENUE_LOGO_URL="/static/logo.svg", VENUE_CONTACT="Plein 1, Zuid|info@zuid.example",
                           VENUE_PRIVACY_URL="https://zuid.example/privacy",
                           VENUE_TERMS_URL="https://zuid.example/av").test_client())
    html = buyer.reads("/")
    assert "<title>Programme · Stadsschouwburg Zuid</title>" in html
    assert 'src="/static/logo.svg" alt="Stadsschouwburg Zuid"' in html
    assert "Plein 1, Zuid<br>info@zuid.example" in html
    assert 'href="https://zuid.example/privacy"' in html and 'href="https://zuid.example/av"' in html
    css = buyer.reads("/branding.css")
    # A light accent gets dark text on it, and dark links on white.
    assert "--accent: #ffe066" in css and "--on-accent: #111111" in css and "--accent-ink: #111111" in css


def test_bad_accent_colour_is_a_start_up_error(make_app, sandbox):
    from shop.settings import ConfigError

    with pytest.raises(ConfigError, match="VENUE_ACCENT_COLOUR"):
        make_app(sandbox.url, VENUE_ACCENT_COLOUR="red; background: url(x)")
