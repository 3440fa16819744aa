"""Health checks for the load balancer and the process manager."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .upstream import cache, vdm
from .vdm import VdmError

bp = Blueprint("health", __name__)
READY_SECONDS = 10


@bp.get("/healthz")
def healthz():
    """Alive: the process answers. Never asks VdM, so a VdM outage does not restart the shop."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready: VdM can be reached. The answer is cached briefly, so probes do not load VdM."""
    state = cache.get("readyz")
    if state is None:
        try:
            vdm().payment_methods()
            state = {"status": "ready"}
        except VdmError as error:
            state = {"status": "unavailable", "reason": type(error).__name__}
        cache.set("readyz", state, timeout=READY_SECONDS)
    return jsonify(state), 200 if state["status"] == "ready" else 503


def init_app(app) -> None:
    from .security import limiter

    app.register_blueprint(bp)
    limiter.exempt(bp)
