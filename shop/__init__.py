"""The reference ticket shop for VoordeMensen."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from shop.domain.ledger import open_ledger
from shop.domain.programme import SaleState, map_url
from shop.extensions import cache, csrf
from shop.infra.box_office import BoxOffice
from shop.infra.sanitise import clean_html
from shop.infra.urls import LOOPBACK_HOSTS, safe_url
from shop.settings import Settings
from shop.vdm import OrderState, VdmClient

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def _folder(name: str) -> str:
    """templates/ or static/: inside the package when installed from the wheel (pyproject.toml maps
    them there), at the top of the repository in a checkout and its editable install."""
    installed = PACKAGE / name
    return str(installed if installed.is_dir() else ROOT / name)


TEMPLATES = _folder("templates")
STATIC = _folder("static")


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | None = None, *,
               vdm_client: VdmClient | None = None) -> Flask:
    """Build the shop. `config` overrides what the environment says (tests use it), and
    `vdm_client` replaces the client the shop would make (tests give it a fake)."""
    app = Flask(
        __name__,
        template_folder=TEMPLATES,
        static_folder=STATIC,
        instance_path=instance_path or os.environ.get("SHOP_INSTANCE_PATH") or None,
    )
    # Settings named like environment variables are parsed and checked; the rest is Flask's.
    settings, flask_config = Settings.load(os.environ, app.instance_path, config)
    app.config.update(settings.as_config())
    app.config.update(flask_config)
    app.extensions["settings"] = settings
    logging.basicConfig(level=logging.INFO)
    if not app.config["SHOP_BASE_URL"]:
        # Only a shop on this machine works out its own address from the request (VdM's
        # redirectURL); any other Host header is refused rather than believed.
        app.config.setdefault("TRUSTED_HOSTS", list(LOOPBACK_HOSTS))

    redis_url = app.config["SHOP_REDIS_URL"]
    if redis_url:
        # Several processes and hosts share the cache, the status throttle, the rate limits and the ledger.
        # While Redis is away each process uses its own memory for them (and orders nothing): extensions.py.
        from shop.extensions import redis_options

        app.config.setdefault("CACHE_TYPE", "shop.extensions.RedisCacheWithFallback")
        app.config.setdefault("CACHE_REDIS_URL", redis_url)
        app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_options())
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_KEY_PREFIX", f"vdmshop:{app.config['VDM_CLIENT_NAME']}:")

    # A form's token lasts as long as the buyer's session, not one hour: a checkout left open
    # over lunch must still submit.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    cache.init_app(app)
    BoxOffice(app, vdm_client)
    if not app.config["VDM_API_URL"]:
        # The built-in sandbox's pages for people (payment, tickets, receipts, images), on the
        # shop's own address; its JSON API runs beside the shop (BoxOffice._start_sandbox).
        from vdm_sandbox import init_sandbox

        init_sandbox(app, app.config["SANDBOX_SETTINGS"], api=False)

    app.extensions["ledger"] = open_ledger(app.config)

    from shop import views
    from shop.infra import base_path, i18n, page_cache, requestlog, security, theme

    requestlog.init_app(app)
    base_path.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    page_cache.init_app(app)
    views.init_app(app)
    theme.init_app(app)  # a venue's templates and static files in front of the shop's

    app.jinja_env.filters.update(safe_url=safe_url, clean_html=clean_html, map_url=map_url)
    app.jinja_env.globals.update(SaleState=SaleState, OrderState=OrderState)  # states by name, never as strings

    return app
