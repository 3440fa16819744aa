"""The programme, a show with its performances, and choosing tickets for a performance."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from . import cart, programme, upstream
from .forms import FIELD_PREFIX, tickets_form
from .sanitise import safe_image
from .security import limiter

bp = Blueprint("catalogue", __name__)


@bp.get("/", endpoint="programme")
def programme_page():
    # Called by the template only when its cached fragment has expired.
    return render_template("programme.html", programme=programme.programme)


@bp.get("/shows/<int(max=9007199254740991):event_id>")  # ids beyond 2**53 are not ids
def show(event_id: int):
    event = upstream.event(event_id)
    if event.id != event_id:  # a performance's id: that is the ticket page
        return redirect(url_for("catalogue.performance", performance_id=event_id), 301)
    performances = programme.visible(event.performances)
    return render_template("show.html", event=event, performances=performances, state=programme.state,
                           image=safe_image(event.image))


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
