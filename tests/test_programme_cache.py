"""The programme is rendered once per snapshot, language and query, and served from the cache:
what differs per visitor (the form token, the cart count) is never part of what is cached."""

from __future__ import annotations

import re

from helpers import catalogue_ready

EN = {"Accept-Language": "en"}


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_two_visitors_share_the_programme_but_not_their_token_or_cart(make_app, sandbox):
    app = make_app(sandbox.url)
    catalogue_ready(app)
    ann, bob = app.test_client(), app.test_client()
    with bob.session_transaction() as session:
        session["cart_count"] = 3
    first = ann.get("/?genre=Dans", headers=EN).get_data(as_text=True)
    second = bob.get("/?genre=Dans", headers=EN).get_data(as_text=True)
    assert 'class="badge">0<' in first and 'class="badge">3<' in second
    assert token(first) != token(second)
    body = lambda html: html.split('<main', 1)[1].split('</main>', 1)[0]  # noqa: E731
    assert body(first) == body(second)  # the cached part


def test_each_query_and_language_has_its_own_page(make_app, sandbox):
    app = make_app(sandbox.url)
    catalogue_ready(app)
    web = app.test_client()
    dance = web.get("/?genre=Dans", headers=EN).get_data(as_text=True)
    twice = web.get("/?genre=Dans&genre=Toneel", headers=EN).get_data(as_text=True)  # repeated: ignored
    dutch = web.get("/?genre=Dans", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Het Zwanenmeer" in dance and "De Storm" not in dance
    assert "De Storm" in twice  # not the page cached for genre=Dans
    assert "gevonden" in dutch and "found" not in dutch.split("<main", 1)[1]


def test_a_new_snapshot_changes_the_page(make_app, sandbox):
    from dataclasses import replace

    app = make_app(sandbox.url)
    snapshot = catalogue_ready(app)
    web = app.test_client()
    assert "De Storm" in web.get("/", headers=EN).get_data(as_text=True)
    without = tuple(e for e in snapshot.events if e.name != "De Storm")
    app.extensions["box_office"].catalogue.use(replace(snapshot, taken_at=snapshot.taken_at + 1, events=without))
    assert "De Storm" not in web.get("/", headers=EN).get_data(as_text=True)
