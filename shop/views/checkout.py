"""Checkout: the buyer's details, then one order at VdM for the cart, then off to pay.

Placing the order, with its guarantee of one order per cart, is shop/ordering.py's; this
view shows the form and turns each outcome of placing into a page.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shop.domain import cart_session, ordering
from shop.domain.ledger import Entry, Ledger, LedgerUnavailable
from shop.domain.ordering import Order, Placement
from shop.infra import urls
from shop.infra.box_office import box_office
from shop.infra.i18n import money
from shop.infra.security import limiter
from shop.vdm import Cart, Customer, PaymentMethod, VdmError
from shop.views.forms import checkout_form

bp = Blueprint("checkout", __name__, url_prefix="/checkout")
log = logging.getLogger(__name__)
NOTHING_ORDERED = _l("The box office cannot be reached right now, so nothing was ordered. Please try again in a minute.")


def ledger() -> Ledger:
    return current_app.extensions["ledger"]


def cart_version(cart: Cart) -> str:
    """What the buyer saw: the seats, their prices and the total."""
    seen = "|".join(f"{s.id}:{s.price}" for s in sorted(cart.seats, key=lambda s: s.id)) + f"|{cart.total}"
    return hashlib.sha256(seen.encode()).hexdigest()[:24]


def offered_methods() -> list[PaymentMethod]:
    methods = list(box_office().payment_methods())
    wanted = current_app.config["SHOP_PAYMENT_METHODS"]
    if not wanted:
        return methods
    by_id = {m.id: m for m in methods}
    return [by_id[i] for i in wanted if i in by_id]


def method_label(method: PaymentMethod, cart: Cart, donation: Decimal) -> str:
    total = money(cart.total + donation + method.cost)
    if method.cost:
        return _("%(method)s + %(cost)s (total %(total)s)", method=method.description, cost=money(method.cost),
                 total=total)
    return _("%(method)s (total %(total)s)", method=method.description, total=total)


def payment_url_allowed(url: str) -> bool:
    return urls.payment_url_allowed(url, built_in_sandbox=not current_app.config["VDM_API_URL"])


def return_url() -> str:
    return urls.absolute_url("orders.payment_return")


def placement() -> Placement:
    return Placement(ledger(), box_office(), version_of=cart_version, payment_url_allowed=payment_url_allowed,
                     wait_seconds=current_app.config["VDM_READ_TIMEOUT"] + 2, catalogue=box_office().catalogue.current,
                     held_cart=box_office().held_cart)


def to_payment(entry: Entry):
    """Where a cart that became an order goes: its payment page, or else its order page."""
    cart_session.forget()
    ordered = [c for c in session.get("ordered_carts", []) if c != entry.cart_id]
    session["ordered_carts"] = (ordered + [entry.cart_id])[-5:]
    if entry.payment_url:
        return redirect(urls.on_this_site(entry.payment_url), 303)
    return redirect(url_for("orders.order", order_key=entry.order_key), 303)


def donation_max() -> Decimal | None:
    """The largest donation, when the venue asks for donations and VdM's authenticated cart,
    which holds them, can be used; else None."""
    cfg = current_app.config
    return cfg["SHOP_DONATION_MAX"] if cfg["SHOP_DONATION"] and box_office().seats_enabled else None


def details_form(payment_choices: list[tuple[str, str]]):
    cfg = current_app.config
    return checkout_form(cfg["SHOP_FIELDS_REQUIRED"], cfg["SHOP_FIELDS_HIDDEN"], bool(cfg["VENUE_TERMS_URL"]),
                         payment_choices, donation_max())


def donation_of(form) -> Decimal | None:
    """The donation the form asks for (0 for none), or None when it asks nothing about donations."""
    return form.donation.amount if "donation" in form else None


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_ORDER"], methods=["POST"])
def details():
    try:
        methods = offered_methods()
    except VdmError:
        return page(details_form([]), None, [], 503, error=NOTHING_ORDERED)
    form = details_form([(str(m.id), m.description) for m in methods])
    if request.method == "GET":
        return checkout_page(form, methods)

    cart_id = request.form.get("cart_id", "")
    if not cart_id or cart_id not in session.get("ordered_carts", []) + [session.get("cart_id")]:
        return checkout_page(form, methods, 409, error=_("Your cart changed since you saw it. Please check it and "
                                                          "confirm again."))
    if not form.validate_on_submit():
        return checkout_page(form, methods, 422)
    order = Order(cart_id, form.cart_version.data or "", int(form.payment_id.data),
                  Customer(**form.contact(), avg_optin=bool(form.avg_optin.data),
                           avg_mailinglist=bool(form.avg_mailinglist.data)),
                  return_url(), retry=form.retry.data == "1", donation=donation_of(form))
    return outcome_page(placement().place(order), form, methods)


def outcome_page(outcome: ordering.Outcome, form, methods):
    """Each outcome of placing an order, as the buyer sees it."""
    match outcome:
        case ordering.ToPayment(entry=entry, unsafe_payment_url=unsafe):
            if unsafe:
                flash(_("Your order was created, but the payment page could not be opened safely. "
                        "Please contact the box office."), "error")
            return to_payment(entry)
        case ordering.CartChanged():
            return checkout_page(form, methods, 409, error=_("Your cart changed since you saw it. Please check it "
                                                              "and confirm again."))
        case ordering.Refused(reason=reason):
            return checkout_page(form, methods, 422, error=cart_session.refusal(
                _("The box office did not accept the order."), reason))
        case ordering.DonationFailed(reason=reason):
            sentence = _("Your donation could not be added, so nothing was ordered. Please try again, or leave the "
                         "donation empty.")
            form.donation.errors.append(cart_session.refusal(sentence, reason) if reason else sentence)
            return checkout_page(form, methods, 422)
        case ordering.CartGone():
            cart_session.drop_expired()
            return redirect(url_for("cart.page"), 303)
        case ordering.NothingOrdered():
            return checkout_page(form, methods, 503, error=NOTHING_ORDERED)
        case ordering.MayExist():
            return checkout_page(form, methods, 503, uncertain="may_exist")
        case ordering.ProbablyCreated():
            cart_session.forget()
            return page(form, None, methods, 503, uncertain="probably_created")
        case _:  # StillCreating
            return checkout_page(form, methods, 409, error=_("Your order is still being created. Please wait a "
                                                              "moment and try again."))


def checkout_page(form, methods, status: int = 200, *, error: str | None = None, uncertain: str | None = None):
    """The form with the buyer's cart as it is now (and the order that cart became, if any)."""
    cart_id = session.get("cart_id")
    try:
        known = placement().settled(cart_id) if cart_id and request.method == "GET" else None
    except LedgerUnavailable:  # Redis is away: show the form; submitting it orders nothing for now
        known = None
    if known is not None:  # another tab ordered this cart meanwhile: follow that order
        return outcome_page(known, form, methods)
    try:
        cart = cart_session.load()
    except VdmError:  # what the buyer must know comes first; the cart summary is a nicety
        if error or uncertain:
            return page(form, None, methods, status, error=error, uncertain=uncertain)
        return page(form, None, methods, 503, error=NOTHING_ORDERED)
    if cart is None or cart.is_empty:
        flash(_("Your cart is empty, so there is nothing to check out."), "warning")
        return redirect(url_for("cart.page"), 303)
    return page(form, cart, methods, status, error=error, uncertain=uncertain)


def page(form, cart: Cart | None, methods, status: int, *, error=None, uncertain: str | None = None):
    if error:
        form.form_errors.append(error)
    held = cart_session.held(cart)
    donation = shown_donation(form, held)
    if cart is not None:  # the form always describes the cart as it is now
        form.payment_id.choices = [(str(m.id), method_label(m, cart, donation)) for m in methods]
        form.cart_id.data = cart.id
        form.cart_version.data = cart_version(cart)
    form.retry.data = "1" if uncertain == "may_exist" else ""
    return render_template("checkout.html", form=form, cart=cart, groups=cart_session.grouped(cart) if cart else [],
                           uncertain=uncertain, has_methods=bool(methods), held=held, donation=donation), status


def shown_donation(form, held) -> Decimal:
    """The donation the page counts in its totals: the one typed (when it is a valid amount), or
    on a first visit the one an earlier try left in the cart, which the field then offers."""
    if "donation" not in form:
        return Decimal("0.00")
    if request.method == "GET" and not form.donation.data and held is not None and held.donation:
        form.donation.data = format_decimal(held.donation, format="0.00")
    return Decimal("0.00") if form.donation.errors else form.donation.amount
