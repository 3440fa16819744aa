"""Friendly pages for what goes wrong, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template

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

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
