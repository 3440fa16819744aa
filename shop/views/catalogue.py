"""The programme, a show with its performances, and choosing tickets for a performance.

Every page here reads the catalogue snapshot (shop/snapshot.py) and never waits on VdM
for it; only adding tickets to the cart asks VdM, as it must.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from markupsafe import Markup

from shop.domain import cart_session, listing, programme
from shop.domain.holds import PERFORMANCE, Holds
from shop.infra import page_cache
from shop.infra.box_office import box_office
from shop.infra.security import limiter
from shop.infra.snapshot import Snapshot
from shop.infra.urls import safe_url
from shop.vdm import UpstreamUnavailable
from shop.vdm.ids import MAX_INTEGER_ID
from shop.views.forms import FIELD_PREFIX, tickets_form

bp = Blueprint("catalogue", __name__)

ID = f"int(max={MAX_INTEGER_ID})"


def page(snapshot: Snapshot, render, seconds: float = 60) -> str:
    """A catalogue page as every visitor of this address and language sees it, rendered once per
    snapshot (a new snapshot has a new version, so a change at VdM shows with the next one) and
    at most `seconds` old (so that performances that have started leave it meanwhile). Each
    visitor's own parts are filled in on the way out (shop/infra/page_cache.py)."""
    return page_cache.cached(page_cache.of(current_app), page_cache.page_key(snapshot.version), render, seconds)


def hall(snapshot: Snapshot, performance):
    """The performance's hall with its address, when VdM's locations give one."""
    found = snapshot.locations.get(performance.location_id) if performance.location_id is not None else None
    return found if found is not None and found.address_lines else None


def holds() -> Holds:
    cfg = current_app.config
    return Holds(limiter, cfg["SHOP_HOLD_MAX_PER_PERFORMANCE"], cfg["SHOP_HOLD_MAX"], cfg["SHOP_HOLD_MINUTES"])


def hold_message(bound: str) -> str:
    cfg = current_app.config
    if bound == PERFORMANCE:
        return _("You can hold at most %(num)d tickets for one performance at a time. Please complete your order "
                 "first, or try again later.", num=cfg["SHOP_HOLD_MAX_PER_PERFORMANCE"])
    return _("You can hold at most %(num)d tickets in carts at a time. Please complete your order first, or try "
             "again later.", num=cfg["SHOP_HOLD_MAX"])


@bp.get("/", endpoint="programme")
def programme_page():
    snapshot = box_office().snapshot()

    def render():
        view = listing.programme_view(programme.cards(snapshot.events, snapshot.prices), request.args,
                                      halls=snapshot.hall_names, genres=snapshot.genres)
        return render_template("programme.html", body=Markup(render_template("_programme_body.html", view=view)))

    return page(snapshot, render)


@bp.get(f"/shows/<{ID}:event_id>")
def show(event_id: int):
    snapshot = box_office().snapshot()
    if snapshot.is_performance(event_id):  # a performance's id: that is the ticket page
        return redirect(url_for("catalogue.performance", performance_id=event_id), 301)
    event = snapshot.event(event_id)
    if event is None:
        abort(404)

    def render():
        performances = programme.visible(event.performances)
        halls = [h for h in {p.location_id: hall(snapshot, p) for p in performances}.values() if h]
        body = render_template("_show_body.html", event=event, performances=performances, state=programme.state,
                               image=safe_url(event.image), halls=halls)
        return render_template("show.html", event=event, body=Markup(body))

    return page(snapshot, render)


@bp.route(f"/performances/<{ID}:performance_id>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_CART"], methods=["POST"])
def performance(performance_id: int):
    snapshot = box_office().snapshot()
    found = snapshot.performance(performance_id)
    if found is None or found[1].status not in programme.VISIBLE_STATUSES:
        abort(404)
    event, perf = found
    state = programme.state(perf)
    if request.method != "POST":
        return page(snapshot, lambda: ticket_page(snapshot, event, perf, state, tickets_form_for(snapshot, perf, state)))
    form = tickets_form_for(snapshot, perf, state)
    status = add_tickets(perf, state, form)
    if not isinstance(status, int):
        return status
    return ticket_page(snapshot, event, perf, state, form), status


def tickets_form_for(snapshot: Snapshot, perf, state: str):
    ticket_types = box_office().ticket_types(snapshot, perf.id) if state == programme.SaleState.ON_SALE else ()
    if ticket_types is None:  # VdM did not give this performance's prices: nothing to choose from now
        raise UpstreamUnavailable("the ticket types of this performance are not known")
    return tickets_form(list(ticket_types), perf.free)


def ticket_page(snapshot: Snapshot, event, perf, state: str, form) -> str:
    return render_template("performance.html", event=event, performance=perf, state=state, form=form,
                           image=safe_url(event.image), hall=hall(snapshot, perf))


def add_tickets(perf, state: str, form):
    """The ticket form sent: a redirect to the cart, or the status to show the form again with."""
    if state != programme.SaleState.ON_SALE:
        form.form_errors.append(_("Tickets for this performance cannot be bought now."))
        return 422
    if not form.validate_on_submit():
        return 422
    chosen = form.chosen()
    refused = holds().take(get_remote_address(), perf.id, sum(n for _, n in chosen), session.get("cart_count", 0))
    if refused:
        form.form_errors.append(hold_message(refused))
        return 429
    try:
        cart_session.add(perf.id, chosen)
    except cart_session.AddFailed as failure:
        if failure.added:
            flash(cart_session.added_message(failure.added), "success")
            for ticket_type, _quantity in failure.added:  # so that sending again does not add them twice
                form[FIELD_PREFIX + ticket_type.id].data = "0"
        form[FIELD_PREFIX + failure.ticket_type.id].errors.append(
            cart_session.refusal(_("These tickets could not be added."), failure.message))
        return 422
    flash(cart_session.added_message(chosen), "success")
    return redirect(url_for("cart.page"), 303)
