"""A local stand-in for the VdM API and its payment provider.

Run on its own with `flask --app shop.sandbox run --port 5001`; the shop starts
one by itself when no VDM_API_URL is configured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, jsonify, request
from flask_wtf import CSRFProtect

from .. import TEMPLATES  # the shop's templates folder, installed or in a checkout: the pages are in its sandbox/
from ..config import instance_secret, sandbox_settings
from . import catalogue as catalogue_module
from .catalogue import Catalogue
from .store import Store


@dataclass
class Sandbox:
    catalogue: Catalogue
    store: Store
    public_url: str
    delay: float

    def base_url(self) -> str:
        """Where browsers reach the sandbox's pages: configured (`/` for paths on the site that
        serves them, as inside the shop), or the host asked."""
        return (self.public_url or request.host_url).rstrip("/") + "/"


def init_sandbox(app: Flask, *, api: bool = True) -> Sandbox:
    """Attach the sandbox to an app: its pages always, the JSON API when `api`."""
    from .api import bp as api_bp
    from .pages import bp as pages_bp

    cfg = app.config
    catalogue = catalogue_module.load(cfg.get("SANDBOX_CATALOGUE"))
    Path(cfg["SANDBOX_DB"]).parent.mkdir(parents=True, exist_ok=True)
    store = Store(cfg["SANDBOX_DB"], catalogue, cart_ttl=cfg["SANDBOX_CART_MINUTES"] * 60,
                  pending_delay=cfg["SANDBOX_PENDING_SECONDS"])
    sandbox = Sandbox(catalogue, store, cfg.get("SANDBOX_PUBLIC_URL", ""), cfg["SANDBOX_DELAY_MS"] / 1000)
    app.extensions["sandbox"] = sandbox
    app.register_blueprint(pages_bp)
    if api:
        app.register_blueprint(api_bp)
        app.after_request(allow_any_origin)
    return sandbox


API_PREFIX = "/v1/"


def allow_any_origin(response):
    """CORS for the JSON API, which VdM's plugins call from the buyer's browser.

    Assumption: VdM allows any origin (`*`; the public API has no key and no cookies), for
    GET, POST and DELETE with a JSON body (`Content-Type`). Every answer under /v1/ says so,
    errors included; a preflight OPTIONS (answered by Flask for every API path) also lists the
    methods and the header. The pages for people (payment, tickets, receipts, images) stay
    same-origin only."""
    if request.path.startswith(API_PREFIX):
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """The sandbox as an app of its own, for integrators and for the shop's embedded mode."""
    instance_path = instance_path or os.environ.get("SHOP_INSTANCE_PATH") or None
    app = Flask(__name__, template_folder=TEMPLATES, static_folder=None, instance_path=instance_path)
    app.config.update(sandbox_settings(os.environ, app.instance_path))
    app.config["SECRET_KEY"] = os.environ.get("SANDBOX_SECRET_KEY") or instance_secret(app.instance_path)
    app.config.update(config or {})
    csrf = CSRFProtect(app)
    init_sandbox(app)
    csrf.exempt(app.blueprints["sandbox_api"])  # an API called by servers, like VdM's

    @app.errorhandler(404)
    @app.errorhandler(405)
    def json_error(error):
        # VdM answers unknown paths with an error object, not an HTML page.
        if request.path.startswith(API_PREFIX):
            return jsonify({"message": error.description if error.code == 405 else "Not found"}), error.code
        return error

    return app
