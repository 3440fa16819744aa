"""The reference ticket shop for VoordeMensen."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from flask_wtf import CSRFProtect

from .config import shop_settings
from .upstream import Upstream

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the shop. `config` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=instance_path or os.environ.get("SHOP_INSTANCE_PATH") or None,
    )
    env = dict(os.environ)
    env.update({k: str(v) for k, v in (config or {}).items() if k.isupper() and isinstance(v, (str, int, float))})
    app.config.update(shop_settings(env, app.instance_path))
    app.config.update(config or {})
    logging.basicConfig(level=logging.INFO)

    csrf.init_app(app)
    Upstream(app)
    if not app.config["VDM_API_URL"]:
        from .sandbox import init_sandbox

        init_sandbox(app, api=False)

    from . import catalogue, errors

    app.register_blueprint(catalogue.bp)
    errors.init_app(app)
    return app
