"""The shop's pages: one blueprint per part of the site, each with its forms. Views are thin:
they read the request, ask the domain (shop/domain) and the box office (shop/infra), and
turn the outcome into a page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from shop.views import branding, calendar, cart, catalogue, checkout, errors, health, orders, seats, seo

    health.init_app(app)
    branding.init_app(app)
    for blueprint in (catalogue.bp, seats.bp, cart.bp, checkout.bp, orders.bp, calendar.bp, seo.bp):
        app.register_blueprint(blueprint)
    errors.init_app(app)
