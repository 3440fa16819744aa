"""Health checks for the load balancer and the process manager."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .box_office import box_office

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: the process answers. Never asks VdM, so a VdM outage does not restart the shop."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready: there is a catalogue snapshot, and it is not older than SHOP_CATALOGUE_MAX_AGE
    (an old one means VdM has not answered the refresher for that long). Never asks VdM itself."""
    snapshot = box_office().catalogue.current()
    max_age = current_app.config["SHOP_CATALOGUE_MAX_AGE"]
    if snapshot is None:
        return jsonify(status="unavailable", reason="catalogue not loaded yet"), 503
    age = round(snapshot.age(), 1)
    state = {"catalogue_age_seconds": age, "catalogue_complete": snapshot.complete, "shows": len(snapshot.events)}
    if age > max_age:
        return jsonify(status="unavailable", reason=f"catalogue older than {max_age:g} s", **state), 503
    return jsonify(status="ready", **state)


def init_app(app) -> None:
    from .security import limiter

    app.register_blueprint(bp)
    limiter.exempt(bp)
