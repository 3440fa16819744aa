"""The sandbox's pages for people: the payment provider's page, and the printable
ticket and receipt pages that VdM's order status links to."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, redirect, render_template, session
from flask_wtf import FlaskForm
from wtforms import SubmitField

from . import sandbox
from .store import Order, Refused

# The templates are in this package's templates/sandbox/: under that folder name, so that inside the
# shop (whose own templates Flask searches first) the sandbox's base.html is never the shop's.
bp = Blueprint("sandbox_pages", __name__, url_prefix="/sandbox", static_folder="static",
               template_folder="templates")

CHOICES = ("pay", "pending", "cancel", "partial")
SETTLEABLE = ("none", "pending")  # as sandbox/pay.html and Store.settle have it


class PaymentForm(FlaskForm):
    pay = SubmitField("Pay")
    pending = SubmitField("Leave pending")
    cancel = SubmitField("Cancel")
    partial = SubmitField("Pay partly")


def _order(order_key: str) -> Order:
    try:
        return sandbox().store.order(order_key)
    except Refused:
        abort(404)


def _lines(order: Order) -> list[dict]:
    """The order's tickets, each with its numbered seat (`place`, None in an unnumbered hall)."""
    lines = []
    for seat in order.seats:
        show, perf = sandbox().catalogue.performance(seat["event_id"])
        ticket_type = perf.ticket_type(seat["discount_id"])
        lines.append({"seat": seat, "show": show, "performance": perf,
                      "ticket_type": ticket_type.name if ticket_type else "", "price": seat["price"],
                      "place": perf.plan.seat(seat["place"]) if perf.plan and seat["place"] else None})
    return lines


def return_url(redirect_url: str, order_key: str) -> str:
    """The redirectURL with `return=<order_key>` added to whatever query it has."""
    parts = urlsplit(redirect_url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"return": order_key})))


# The orders whose payment form this session was shown, newest last. A settle POST must come
# from such a session, in addition to its CSRF token: the CSRF token is the same on every page
# of a session, so alone it let a form of one order settle any other order whose key was known.
# Kept in the session (the shop's, inside the shop) rather than in a field of the form, so that
# the form, the template and the scripts that post it (CSRF token and cookie) stay as they are.
SHOWN = "sandbox_payment_forms"
KEEP = 10


def _shown() -> list[str]:
    keys = session.get(SHOWN)
    return keys if isinstance(keys, list) else []


def _remember(order_key: str) -> None:
    if _shown()[-1:] != [order_key]:
        session[SHOWN] = ([k for k in _shown() if k != order_key] + [order_key])[-KEEP:]


@bp.route("/pay/<order_key>", methods=["GET", "POST"])
def pay(order_key: str):
    order = _order(order_key)
    form = PaymentForm()
    if form.validate_on_submit():
        if order_key not in _shown():
            abort(403, "This form is not from the payment page of this order: open that page and choose again.")
        choice = next((c for c in CHOICES if form[c].data), None)
        if choice is None:
            abort(400)
        try:
            sandbox().store.settle(order_key, choice)
        except Refused:
            pass  # already settled: send the person back all the same, the shop asks the status
        return redirect(return_url(order.redirect_url, order_key), 303)
    if order.status in SETTLEABLE:  # the page shows the form
        _remember(order_key)
    return render_template("sandbox/pay.html", order=order, lines=_lines(order), form=form,
                           method=sandbox().catalogue.payment_method(order.payment_id),
                           back=return_url(order.redirect_url, order_key))


@bp.get("/order/<order_key>/ticket")
def tickets(order_key: str):
    order = _order(order_key)
    return render_template("sandbox/ticket.html", order=order, lines=_lines(order))


@bp.get("/order/<order_key>/receipt")
def receipt(order_key: str):
    order = _order(order_key)
    return render_template("sandbox/receipt.html", order=order, lines=_lines(order),
                           method=sandbox().catalogue.payment_method(order.payment_id))
