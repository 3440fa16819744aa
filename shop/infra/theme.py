"""A venue's theme: its own templates and static files in front of the shop's, without a fork.

SHOP_THEME_DIR names a folder with templates/ and static/ (README, Themes). A theme's template
replaces the shop's of the same name, file by file; the shop's own stay reachable as
shop/<name>, so a theme's base.html can {% extends "shop/base.html" %} and override only its
blocks. A theme's static file is served by the shop's own `static` endpoint, before the shop's
file of the same name: theme files come from the shop's origin, so the CSP stays as it is.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from werkzeug.exceptions import NotFound

# "shop/base.html" is always the shop's own base.html, even when a theme replaces base.html.
SHOP_PREFIX = "shop"


def init_app(app: Flask) -> None:
    folder = app.config["SHOP_THEME_DIR"]
    if not folder:
        return
    theme = Path(folder)
    shop = app.jinja_loader
    # The prefix first: a theme cannot shadow shop/<name>, which is what its extends rely on.
    app.jinja_loader = ChoiceLoader([PrefixLoader({SHOP_PREFIX: shop}), FileSystemLoader(theme / "templates"), shop])

    static = theme / "static"
    shop_static = app.view_functions["static"]

    def theme_or_shop_static(filename: str):
        try:
            return send_from_directory(static, filename, max_age=app.get_send_file_max_age(filename))
        except NotFound:
            return shop_static(filename=filename)

    app.view_functions["static"] = theme_or_shop_static
