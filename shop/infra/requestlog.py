"""One structured log line per request, with the time it spent waiting on VdM."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request, request_started

from shop.infra.security import RedactPersonalData

log = logging.getLogger("shop.requests")


def vdm_call_finished(method: str, path: str, seconds: float) -> None:
    """Called by the VdM client after every call (the client itself knows nothing of Flask)."""
    if has_request_context():
        g.vdm_calls = g.get("vdm_calls", 0) + 1
        g.vdm_seconds = g.get("vdm_seconds", 0.0) + seconds


def _client_address() -> str:
    """The client's network, not the person: the last part of the address is dropped."""
    address = request.remote_addr or ""
    if ":" in address:
        return ":".join(address.split(":")[:3]) + "::"
    parts = address.split(".")
    return ".".join(parts[:3] + ["0"]) if len(parts) == 4 else address


def _start_clock(sender: Flask, **extra) -> None:
    g.started = time.perf_counter()


def init_app(app: Flask) -> None:
    if not log.handlers:
        # The line is the JSON alone, so log collectors can parse it as it is.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    # Started before any before_request function, so that requests they refuse (an oversized body,
    # a missing CSRF token) are logged too.
    request_started.connect(_start_clock, app)

    @app.after_request
    def log_request(response):
        if "started" in g:
            # The buyer's text is redacted before it becomes JSON, never in the JSON text: masking
            # "\u00e9ab@example.org" there would cut the escape in two. The line is marked as
            # redacted, so that the filter on the handler leaves it as it is.
            log.info(json.dumps({
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "method": RedactPersonalData.redact(request.method),
                "path": RedactPersonalData.redact(request.path),
                "status": response.status_code,
                "ms": round((time.perf_counter() - g.started) * 1000, 1),
                "vdm_calls": g.get("vdm_calls", 0),
                "vdm_ms": round(g.get("vdm_seconds", 0.0) * 1000, 1),
                "client": _client_address(),
            }, separators=(",", ":")), extra={"redacted": True})
        return response
