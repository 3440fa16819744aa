"""Catalogue pages are rendered once per snapshot, address, language and URL and served from
each process's memory. What differs per visitor (the form token, the cart count, flashed
messages) is filled in on the way out and is never part of what is cached; a visitor who only
looks gets no session cookie from a page without a form."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import Buyer, catalogue_ready, csrf_token, text

from shop.infra import page_cache

EN = {"Accept-Language": "en"}
PERFORMANCE = f"/performances/{DE_STORM_FIRST}"
CATALOGUE_PAGES = ("/", "/?genre=Dans", f"/shows/{DE_STORM}", PERFORMANCE)


@pytest.fixture
def shop(make_app, sandbox):
    app = make_app(sandbox.url)
    catalogue_ready(app)
    return app


def visitor_parts(html: str) -> str:
    """A page without what belongs to its visitor: the token, the cart count, the messages."""
    html = re.sub(r'<input name="csrf_token" type="hidden" value="[^"]*">', "", html)
    html = re.sub(r'<span class="badge">\d+</span>\s*<span class="visually-hidden">[^<]*</span>', "", html)
    return " ".join(re.sub(r'<div class="messages">.*?</div>', "", html, flags=re.S).split())


def test_two_visitors_share_a_page_but_not_their_token_count_or_messages(shop):
    ann, bob = shop.test_client(), shop.test_client()
    with bob.session_transaction() as session:
        session["cart_count"] = 3
        session["_flashes"] = [("success", "Only for Bob")]
    first, second = text(ann.get(PERFORMANCE, headers=EN)), text(bob.get(PERFORMANCE, headers=EN))
    assert 'class="badge">0<' in first and 'class="badge">3<' in second
    assert "Only for Bob" in second and "Only for Bob" not in first
    assert csrf_token(first) != csrf_token(second)
    assert visitor_parts(first) == visitor_parts(second)  # one page, rendered once
    assert "Only for Bob" not in text(bob.get(PERFORMANCE, headers=EN))  # shown once, as flashes are
    # Each token is its own visitor's: Ann's works for Ann, Bob's does not.
    add = {f"qty_{STANDARD}": "1"}
    assert ann.post(PERFORMANCE, data={**add, "csrf_token": csrf_token(second)}).status_code == 400
    assert ann.post(PERFORMANCE, data={**add, "csrf_token": csrf_token(first)}).status_code == 303


def test_each_page_is_rendered_once_per_snapshot_and_url(shop):
    web, pages = shop.test_client(), page_cache.of(shop)
    for path in CATALOGUE_PAGES:
        for _ in range(3):
            assert web.get(path, headers=EN).status_code == 200
    assert len(pages) == len(CATALOGUE_PAGES)
    web.get("/", headers={"Accept-Language": "nl"})
    web.get("/?lang=en")
    assert len(pages) == len(CATALOGUE_PAGES) + 2


def test_a_visitor_who_only_looks_gets_no_cookie(shop):
    web = shop.test_client(use_cookies=False)
    for path in ("/", "/?q=storm", f"/shows/{DE_STORM}"):
        assert "Set-Cookie" not in web.get(path, headers=EN).headers, path
    # The ticket form needs a token, and the token a session: that page sets one.
    assert "Set-Cookie" in web.get(PERFORMANCE, headers=EN).headers


def test_each_query_and_language_has_its_own_page(shop):
    web = shop.test_client()
    dance = text(web.get("/?genre=Dans", headers=EN))
    twice = text(web.get("/?genre=Dans&genre=Toneel", headers=EN))  # repeated: ignored
    dutch = text(web.get("/?genre=Dans", headers={"Accept-Language": "nl"}))
    assert "Het Zwanenmeer" in dance and "De Storm" not in dance
    assert "De Storm" in twice  # not the page cached for genre=Dans
    assert "gevonden" in dutch and "found" not in dutch.split("<main", 1)[1]


def test_a_new_snapshot_changes_every_page(shop):
    web = shop.test_client()
    before = {path: text(web.get(path, headers=EN)) for path in CATALOGUE_PAGES}
    catalogue = shop.extensions["box_office"].catalogue
    snapshot = catalogue.current()
    renamed = tuple(replace(e, name="De Nieuwe Storm") if e.id == DE_STORM else e for e in snapshot.events)
    catalogue.use(replace(snapshot, taken_at=snapshot.taken_at + 1, events=renamed))
    for path in ("/", f"/shows/{DE_STORM}", PERFORMANCE):
        assert "De Nieuwe Storm" not in before[path]
        assert "De Nieuwe Storm" in text(web.get(path, headers=EN)), path


def test_a_cached_page_expires_by_the_clock():
    clock = [0.0]
    pages = page_cache.PageCache(size=2, clock=lambda: clock[0])
    pages.put("a", "A", 60)
    assert pages.get("a") == "A"
    clock[0] = 61
    assert pages.get("a") is None
    for key in "bcd":  # and the oldest goes first when it is full
        pages.put(key, key, 60)
    assert (pages.get("b"), pages.get("c"), pages.get("d")) == (None, "c", "d")


def test_text_from_vdm_cannot_open_a_visitors_part(make_app):
    """A marker is an HTML comment: VdM's text is escaped and its descriptions lose comments."""
    from datetime import date, timedelta

    from fakes import FakeVdm, show, sub_event

    tricky = show(7, [sub_event(8, 7, date.today() + timedelta(days=3))], name="<!--shop:csrf--> <!--shop:messages-->")
    tricky["event_text"] = "<p>A<!--shop:cart-count-->B</p>"
    vdm = FakeVdm([tricky])
    app = make_app(vdm_client=vdm)
    catalogue_ready(app)
    page = text(app.test_client().get("/shows/7", headers=EN))
    assert "&lt;!--shop:csrf--&gt;" in page and 'name="csrf_token"' not in page
    assert "AB" in page and page.count('class="badge"') == 1
    assert Buyer(app.test_client()).reads("/shows/7").count("<!--shop:") == 0


def test_a_new_snapshot_is_left_out_of_the_garbage_collectors_rounds(shop):
    """Its objects live for minutes: Python's full collections need not walk them (p99)."""
    import gc

    catalogue = shop.extensions["box_office"].catalogue
    gc.unfreeze()
    catalogue.use(replace(catalogue.current(), taken_at=catalogue.current().taken_at + 1))
    frozen = gc.get_freeze_count()
    assert frozen > len(catalogue.current().events)
    catalogue.use(replace(catalogue.current(), taken_at=catalogue.current().taken_at + 2))
    assert gc.get_freeze_count() <= frozen * 1.05  # the garbage of the moment was not frozen with it
