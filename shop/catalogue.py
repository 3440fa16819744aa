"""The programme, a show with its performances, and choosing tickets for a performance."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from . import cart, programme, upstream
from .forms import FIELD_PREFIX, tickets_form
from .sanitise import safe_image
from .security import limiter
from .upstream import cache

bp = Blueprint("catalogue", __name__)


def fragment(name: str, render) -> Markup:
    """A part of a page that is the same for every visitor in one language, rendered once per
    half cache period (so a change at VdM shows within 1.5 × SHOP_CACHE_SECONDS)."""
    key = f"fragment:{name}:{get_locale()}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=max(1, current_app.config["SHOP_CACHE_SECONDS"] // 2))
    return Markup(html)


@bp.get("/", endpoint="programme")
def programme_page():
    listing = fragment("programme", lambda: render_template("_programme_list.html", cards=programme.programme()))
    return render_template("programme.html", listing=listing)


@bp.get("/shows/<int(max=9007199254740991):event_id>")  # ids beyond 2**53 are not ids
def show(event_id: int):
    event = upstream.event(event_id)
    if event.id != event_id:  # a performance's id: that is the ticket page
        return redirect(url_for("catalogue.performance", performance_id=event_id), 301)
    body = fragment(f"show:{event_id}", lambda: render_template(
        "_show_body.html", event=event, performances=programme.visible(event.performances), state=programme.state,
        image=safe_image(event.image)))
    return render_template("show.html", event=event, body=body)


@bp.route("/performances/<int(max=9007199254740991):performance_id>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_CART"], methods=["POST"])
def performance(performance_id: int):
    event = upstream.event(performance_id)
    perf = event.performance(performance_id)
    if perf is None or perf.status not in programme.VISIBLE_STATUSES:
        abort(404)
    state = programme.state(perf)
    ticket_types = upstream.ticket_types(perf.id) if state == programme.ON_SALE else []
    form = tickets_form(ticket_types, perf.free)
    status = 200
    if request.method == "POST":
        if state != programme.ON_SALE:
            form.form_errors.append(_("Tickets for this performance cannot be bought now."))
        elif form.validate_on_submit():
            try:
                cart.add(perf.id, form.chosen())
            except cart.AddFailed as failure:
                if failure.added:
                    flash(cart.added_message(failure.added), "success")
                    for ticket_type, _quantity in failure.added:  # so that sending again does not add them twice
                        form[FIELD_PREFIX + ticket_type.id].data = "0"
                form[FIELD_PREFIX + failure.ticket_type.id].errors.append(
                    _("These tickets could not be added: %(reason)s", reason=failure.message))
            else:
                flash(cart.added_message(form.chosen()), "success")
                return redirect(url_for("cart.show"), 303)
        status = 422
    return render_template("performance.html", event=event, performance=perf, state=state, form=form,
                           image=safe_image(event.image)), status
