"""The return from the payment provider and the order page, the one place that shows an
order's status. It never trusts the return: it asks VdM, at most once per 10 seconds."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import SubmitField

from shop.domain import cart_session
from shop.domain.ledger import LedgerUnavailable
from shop.infra.box_office import box_office
from shop.infra.security import limiter
from shop.infra.urls import on_this_site, safe_url
from shop.vdm import NotFound, OrderState, VdmError
from shop.views import calendar
from shop.views.errors import error_page
from shop.views.forms import ID

bp = Blueprint("orders", __name__, url_prefix="/order")

ORDER_KEY = ID
# Seconds between refreshes while payment is pending: gentle at first, then slower, then stop.
REFRESH_SCHEDULE = (10, 10, 15, 20, 30, 60, 60, 60, 60, 60)
WAITING = (OrderState.PENDING, OrderState.NONE)
CHECKING = "checking"  # no answer from VdM yet, or a status it may add one day


class RestoreCartForm(FlaskForm):
    submit = SubmitField()


def refresh_after(check: int) -> int | None:
    if check >= len(REFRESH_SCHEDULE):
        return None
    return max(REFRESH_SCHEDULE[check], int(current_app.config["SHOP_STATUS_INTERVAL"]))


@bp.get("/return")
def payment_return():
    """VdM sends the buyer here with ?return=<order_key> (older documentation: ?response=)."""
    order_key = request.args.get("return") or request.args.get("response") or ""
    if not ORDER_KEY.match(order_key):
        return error_page("bad_return")
    return redirect(url_for("orders.order", order_key=order_key), 303)


def made_here() -> bool:
    """An order this shop created (in its ledger): its page is never limited. Made-up keys
    each cost a VdM call, so they are limited per address."""
    order_key = (request.view_args or {}).get("order_key", "")
    try:
        return bool(ORDER_KEY.match(order_key)) and current_app.extensions["ledger"].by_order(order_key) is not None
    except LedgerUnavailable:  # Redis is away: cannot tell, so the per-address limit applies
        return False


@bp.get("/<order_key>")
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_ORDER_LOOKUP"], exempt_when=made_here)
def order(order_key: str):
    if not ORDER_KEY.match(order_key):
        abort(404)
    check = request.args.get("check", default=0, type=int)
    check = min(max(check, 0), len(REFRESH_SCHEDULE))
    automatic = request.args.get("auto") != "0"  # the buyer may turn the refreshing off (WCAG 2.2.1)
    http_status = 200
    try:
        status = box_office().order_status(order_key)
    except NotFound:
        abort(404)
    except VdmError:
        status, http_status = None, 503

    # A status VdM may add one day, or no answer yet: keep looking.
    state = OrderState(status.status) if status is not None and status.is_known_status else CHECKING
    waiting = state in (*WAITING, CHECKING)
    refresh = refresh_after(check) if waiting and automatic else None
    try:
        entry = current_app.extensions["ledger"].by_order(order_key)
    except LedgerUnavailable:  # Redis is away: the page without the payment link or the cart's return
        entry = None
    purchase = entry.purchase if entry else None
    # An order the ledger does not know (made elsewhere, or before it kept purchases): what VdM says.
    shows = Counter(seat.event_name for seat in status.seats) if status and not purchase else Counter()
    return render_template(
        "order.html", order_key=order_key, status=status, state=state, refresh=refresh, next_check=check + 1,
        gave_up=waiting and automatic and refresh is None, stopped=waiting and not automatic,
        tickets_url=safe_url(status.tickets_url) if status else None,
        receipt_url=safe_url(status.receipt_url) if status else None,
        payment_url=on_this_site(entry.payment_url) if entry else None, shows=shows, purchase=purchase,
        calendar_offered=bool(purchase) and state in calendar.OFFERED,
        restore_form=RestoreCartForm() if state == OrderState.CANCELLED and _usable_cart(entry) else None,
    ), http_status


def _usable_cart(entry) -> bool:
    """After a cancelled payment, can the buyer go back to the same cart? Only if VdM still has it."""
    if entry is None or session.get("cart_id"):
        return False
    def usable() -> bool:
        try:
            return not box_office().cart(entry.cart_id).is_empty
        except VdmError:
            return False

    return box_office().remembered(f"cart-usable:{entry.cart_id}", usable, 30)


@bp.post("/<order_key>/restore-cart")
def restore_cart(order_key: str):
    entry = current_app.extensions["ledger"].by_order(order_key) if ORDER_KEY.match(order_key) else None
    form = RestoreCartForm()
    if entry is None or not form.validate_on_submit() or session.get("cart_id"):
        abort(404)
    try:
        status = box_office().order_status(order_key)
        cart = box_office().cart(entry.cart_id)
    except VdmError:
        abort(404)
    if status is None or status.status != "cancelled" or cart.is_empty:
        abort(404)
    # The cancelled order is over; a new checkout of this cart is a new order.
    current_app.extensions["ledger"].forget(entry.cart_id)
    cart_session.remember(cart)
    return redirect(url_for("cart.page"), 303)
