"""The VdM sandbox: a local stand-in for the VoordeMensen API and its payment provider.

Run it on its own with `vdm-sandbox --port 5001` (cli.py), or serve `create_app()` with any
WSGI server; the shop (package `shop`) starts one inside itself when no VDM_API_URL is set.
The sandbox mirrors VdM and is a product of its own: it imports nothing of the shop, and
keeps its settings (settings.py), venue time (venue_time.py), ids (ids.py), templates and
static files in this package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, current_app, jsonify, request
from flask_wtf import CSRFProtect

from . import catalogue as catalogue_module
from .catalogue import Catalogue
from .settings import SandboxSettings, SettingsError, instance_api_key, instance_secret
from .store import Store

__all__ = ["Sandbox", "SandboxSettings", "SettingsError", "create_app", "init_sandbox", "sandbox", "TEMPLATES",
           "STATIC"]

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = str(PACKAGE / "templates")  # the pages are in its sandbox/
STATIC = str(PACKAGE / "static")


@dataclass
class Sandbox:
    catalogue: Catalogue
    store: Store
    settings: SandboxSettings

    @property
    def delay(self) -> float:
        return self.settings.delay

    def base_url(self) -> str:
        """Where browsers reach the sandbox's pages: configured (`/` for paths on the site that
        serves them, as inside the shop), or the host asked."""
        return (self.settings.public_url or request.host_url).rstrip("/") + "/"


def load_catalogue(setting: str | None) -> Catalogue:
    """The catalogue SANDBOX_CATALOGUE names; one that cannot be read is a SettingsError too."""
    try:
        return catalogue_module.load(setting)
    except (OSError, ValueError, KeyError, TypeError) as error:  # a JSONDecodeError is a ValueError
        raise SettingsError("SANDBOX_CATALOGUE", f"{setting!r} is not a usable catalogue: {error!r}") from error


def init_sandbox(app: Flask, settings: SandboxSettings, *, api: bool = True) -> Sandbox:
    """Attach the sandbox to an app: its pages always, the JSON API (public and Peppered) when `api`."""
    from .api import bp as api_bp
    from .pages import bp as pages_bp
    from .peppered import bp as peppered_bp

    if settings.api_key is None:
        settings = replace(settings, api_key=instance_api_key(settings.instance_path))
    catalogue = load_catalogue(settings.catalogue)
    Path(settings.db).parent.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db, catalogue, cart_ttl=settings.cart_seconds, pending_delay=settings.pending_seconds)
    sandbox = Sandbox(catalogue, store, settings)
    app.extensions["sandbox"] = sandbox
    app.register_blueprint(pages_bp)
    if api:
        app.register_blueprint(api_bp)
        app.register_blueprint(peppered_bp)
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


def create_app(settings: SandboxSettings | Mapping[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    """The sandbox as an app of its own.

    `settings` are SandboxSettings as they are, or a mapping read like the environment (its
    SANDBOX_* variables; any other key is Flask configuration, applied last: TESTING,
    WTF_CSRF_ENABLED), or None for the environment itself. `instance_path` sets the
    instance folder when the settings are read here (SandboxSettings carry their own)."""
    if isinstance(settings, SandboxSettings):
        if instance_path is not None:
            raise TypeError("the instance folder is part of SandboxSettings: give it there")
        flask_config: dict[str, Any] = {}
    else:
        flask_config = {k: v for k, v in (settings or {}).items() if not k.startswith("SANDBOX_")}
        settings = SandboxSettings.from_env(settings, instance_path=instance_path)
    app = Flask(__name__, static_folder=None, instance_path=settings.instance_path)
    app.config["SECRET_KEY"] = settings.secret_key or instance_secret(settings.instance_path)
    app.config.update(flask_config)
    csrf = CSRFProtect(app)
    init_sandbox(app, settings)
    csrf.exempt(app.blueprints["sandbox_api"])  # an API called by servers, like VdM's
    csrf.exempt(app.blueprints["sandbox_peppered"])

    @app.errorhandler(404)
    @app.errorhandler(405)
    def json_error(error):
        # VdM answers unknown paths with an error object, not an HTML page.
        if request.path.startswith(API_PREFIX):
            return jsonify({"message": error.description if error.code == 405 else "Not found"}), error.code
        return error

    return app
