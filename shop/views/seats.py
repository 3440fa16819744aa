"""Choosing numbered seats, for a performance whose hall has a seating plan at VdM: first the
seats on the plan, then a ticket type for each, then into the cart in one call.

Each step is its own page with its own form, and works without JavaScript. What was chosen
travels in the URL between them (seat=…&type_<seat>=…), so going back, reloading and a second
tab all keep it, and nothing about it is kept in the session. The rules (what a seat may be
sold as, whether a choice can be bought, what a seat is called) are shop/domain/seating.py's.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from shop.domain import cart_session, programme, seating
from shop.infra.box_office import box_office
from shop.infra.i18n import money
from shop.infra.security import limiter
from shop.vdm import CartNotFound, NotFound, Rejected, UpstreamUnavailable
from shop.vdm.errors import KeyRefused, SeatsTaken
from shop.views.catalogue import ID, hold_message, holds
from shop.views.forms import SeatsForm, SeatTypesForm

bp = Blueprint("seats", __name__)
PLAN = f"/performances/<{ID}:performance_id>/seats"
NO_SEAT_CHOICE = _l("Seats cannot be chosen for this performance. You can choose the number of tickets instead, and "
                    "get the best seats available.")


@bp.app_template_filter("place")
def place_words(place: seating.Place | None) -> str:
    """A seat's section, row and number in the buyer's language (cart, checkout, order page)."""
    return place.words(_) if place else ""


@bp.app_template_filter("seat_label")
def seat_label(seat: seating.PlanSeat) -> str:
    return seat.label(_, money)


@bp.app_template_global()
def seats_offered(performance) -> bool:
    """Whether the performance page offers the seating plan: on sale, and a plan with seats."""
    on_sale = programme.state(performance) == programme.SaleState.ON_SALE
    return on_sale and box_office().seat_plan(performance.id) is not None  # None: no numbered seats


def picker_for(performance, taken=()) -> seating.Picker | None:
    plan = box_office().seat_plan(performance.id)
    if plan is None:
        return None
    ticket_types = box_office().ticket_types(box_office().snapshot(), performance.id)
    if ticket_types is None:  # VdM did not give this performance's prices: nothing to choose from now
        raise UpstreamUnavailable("the ticket types of this performance are not known")
    return seating.picker(plan, ticket_types, taken=taken, yours=cart_session.seats_in_cart())


class Step:
    """The performance a step is about, with its plan."""

    def __init__(self, performance_id: int):
        found = box_office().snapshot().performance(performance_id)
        if found is None or found[1].status not in programme.VISIBLE_STATUSES:
            abort(404)
        self.event, self.performance = found
        on_sale = programme.state(self.performance) == programme.SaleState.ON_SALE
        self.picker = picker_for(self.performance) if on_sale else None
        if on_sale and self.picker is None:
            flash(NO_SEAT_CHOICE, "warning")

    def elsewhere(self):
        """Where a buyer goes who cannot choose seats here: the performance's own page."""
        return redirect(url_for("catalogue.performance", performance_id=self.performance.id), 303)

    def choice(self, wanted: list[str]) -> seating.Choice:
        return seating.choose(self.picker, wanted, self.performance.free, _)

    def plan_page(self, chosen: seating.Choice | None, types: dict[str, str], status: int = 200, *,
                  problems: tuple[str, ...] = ()):
        form = SeatsForm()
        form.form_errors.extend(problems or (chosen.problems if chosen else ()))
        return render_template("seats.html", event=self.event, performance=self.performance, picker=self.picker,
                               form=form, chosen=set(chosen.ids) if chosen else set(), types=types), status

    def types_page(self, chosen: seating.Choice, levels: dict, types: dict[str, str], form, status: int = 200):
        back = url_for("seats.plan", performance_id=self.performance.id, seat=list(chosen.ids), **types)
        return render_template("seat_types.html", event=self.event, performance=self.performance, form=form,
                               seats=chosen.seats, levels=levels, back=back), status


@bp.route(PLAN, methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_CART"], methods=["POST"])
def plan(performance_id: int):
    """Step one: the seats. A GET shows the seats of its URL ticked (coming back from step two)."""
    step = Step(performance_id)
    if step.picker is None:
        return step.elsewhere()
    if request.method == "GET":
        wanted = request.args.getlist("seat")
        chosen = step.choice(wanted) if wanted else None
        return step.plan_page(chosen, seating.kept_types(chosen.seats, request.args) if chosen else {})
    form = SeatsForm()
    chosen = step.choice(form.seat.data or [])
    types = seating.kept_types(chosen.seats, request.form)
    if not form.validate_on_submit() or not chosen.ok:
        return step.plan_page(chosen, types, 422)
    return redirect(url_for("seats.types", performance_id=performance_id, seat=list(chosen.ids), **types), 303)


@bp.route(PLAN + "/types", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_CART"], methods=["POST"])
def types(performance_id: int):
    """Step two: a ticket type for each seat, then into the cart."""
    step = Step(performance_id)
    if step.picker is None:
        return step.elsewhere()
    form = SeatTypesForm()
    source = request.form if request.method == "POST" else request.args
    chosen = step.choice(source.getlist("seat"))
    kept = seating.kept_types(chosen.seats, source)
    if not chosen.ok:  # a seat was taken since step one, or the URL was changed: choose again
        return step.plan_page(chosen, kept, 422)
    levels, problems = seating.ticket_types(chosen.seats, source, _)
    form.form_errors.extend(problems)
    if request.method == "GET" or problems or not form.validate_on_submit():
        return step.types_page(chosen, levels, kept, form, 422 if problems else 200)
    return add(step, chosen, levels, kept, form)


def add(step: Step, chosen: seating.Choice, levels: dict, kept: dict[str, str], form):
    """The seats into the cart, all in one call; the same hold limits as choosing a number."""
    performance = step.performance
    refused = holds().take(get_remote_address(), performance.id, len(chosen.seats), session.get("cart_count", 0))
    if refused:
        form.form_errors.append(hold_message(refused))
        return step.types_page(chosen, levels, kept, form, 429)
    try:
        cart_session.add_seats(seating.new_items(performance.id, chosen.seats, levels))
    except SeatsTaken as taken:
        return seats_taken(step, chosen, taken, kept)
    except KeyRefused:  # VdM refused the key just now: seat choice is off from here on
        flash(NO_SEAT_CHOICE, "warning")
        return step.elsewhere()
    except CartNotFound:  # the new cart vanished too; the buyer was told
        return redirect(url_for("cart.page"), 303)
    except (Rejected, NotFound) as error:
        form.form_errors.append(cart_session.refusal(_("These seats could not be added."), error.message))
        return step.types_page(chosen, levels, kept, form, 422)
    flash(cart_session.tickets_added(len(chosen.seats)), "success")
    return redirect(url_for("cart.page"), 303)


def seats_taken(step: Step, chosen: seating.Choice, taken: SeatsTaken, kept: dict[str, str]):
    """The plan again, as VdM has it now and with the seats it named taken; the buyer's other
    seats still ticked, with their ticket types."""
    step.picker = picker_for(step.performance, taken=taken.seat_ids) or step.picker
    again = step.choice(list(chosen.ids))
    lead = _("Not all the seats you chose are still free, so none were added to your cart. Your other choices "
             "are kept: please check them and continue.")
    return step.plan_page(again, seating.kept_types(again.seats, kept), 422, problems=(lead, *again.problems))
