"""Health checks for the load balancer and the process manager."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from shop.extensions import redis_link
from shop.infra.box_office import box_office

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: the process answers. Never asks VdM, so a VdM outage does not restart the shop."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready: Redis answers (with SHOP_REDIS_URL; without it the shop takes no orders), there is
    a catalogue snapshot, and it is not older than SHOP_CATALOGUE_MAX_AGE (an old one means VdM
    has not answered the refresher for that long). Never asks VdM itself. A Redis that failed
    a moment ago is not asked again (see shop/extensions.py)."""
    snapshot = box_office().catalogue.current()
    max_age = current_app.config["SHOP_CATALOGUE_MAX_AGE"]
    redis_url = current_app.config["SHOP_REDIS_URL"]
    state = {} if snapshot is None else {
        "catalogue_age_seconds": round(snapshot.age(), 1), "catalogue_complete": snapshot.complete,
        "shows": len(snapshot.events)}
    if redis_url and not redis_link(redis_url).ping():
        return jsonify(status="unavailable", reason="redis unreachable", **state), 503
    if snapshot is None:
        return jsonify(status="unavailable", reason="catalogue not loaded yet"), 503
    age = state["catalogue_age_seconds"]
    if age > max_age:
        return jsonify(status="unavailable", reason=f"catalogue older than {max_age:g} s", **state), 503
    return jsonify(status="ready", **state)


def init_app(app) -> None:
    from shop.infra.security import limiter

    app.register_blueprint(bp)
    limiter.exempt(bp)
