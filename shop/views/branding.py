"""The venue's own name, logo, colour, contact details and legal links."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

bp = Blueprint("branding", __name__)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(accent: str) -> str:
    """White or near-black text on the accent, whichever reads better (WCAG AA wants 4.5:1)."""
    return "#ffffff" if contrast(accent, "#ffffff") >= contrast(accent, "#111111") else "#111111"


@bp.get("/branding.css")
def stylesheet():
    accent = current_app.config["VENUE_ACCENT_COLOUR"]
    # On the white page the accent is also used for links and focus rings: darken it when it is too light.
    ink = accent if contrast(accent, "#ffffff") >= 4.5 else "#111111"
    css = f":root {{ --accent: {accent}; --on-accent: {text_on(accent)}; --accent-ink: {ink}; }}\n"
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def venue():
        cfg = app.config
        return {"venue": {
            "name": cfg["VENUE_NAME"],
            "logo": cfg["VENUE_LOGO_URL"],
            "contact": cfg["VENUE_CONTACT"],
            "privacy_url": cfg["VENUE_PRIVACY_URL"],
            "terms_url": cfg["VENUE_TERMS_URL"],
        }}
