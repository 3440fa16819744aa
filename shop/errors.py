"""Friendly pages for what goes wrong, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from .vdm import NotFound, VdmError

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def upstream_not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(VdmError)
    def upstream_error(error):
        log.warning("box office unavailable: %s: %s", type(error).__name__, error)
        return render_template("errors/503.html"), 503

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        # The form came without its session (cookies off, a very old tab) or from another site.
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
