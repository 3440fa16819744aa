"""Checkout: the buyer's details, then one order at VdM for the cart, then off to pay.

A cart becomes at most one order. The ledger claims the cart before `order/create` is
sent; a double click, a reload or a second tab is sent to the same payment page. When VdM
did not answer in time the order may exist, so the buyer is told so and must confirm
before the shop tries again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import cart as cart_module
from .box_office import box_office
from .forms import checkout_form
from .i18n import money
from .ledger import CREATED, CREATING, UNCERTAIN, Entry, Ledger
from .security import limiter
from .vdm import (
    Cart,
    CartNotFound,
    ConnectFailed,
    Customer,
    NotFound,
    PaymentMethod,
    Rejected,
    VdmError,
)

bp = Blueprint("checkout", __name__, url_prefix="/checkout")
log = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
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


def method_label(method: PaymentMethod, cart: Cart) -> str:
    total = money(cart.total + method.cost)
    if method.cost:
        return _("%(method)s + %(cost)s (total %(total)s)", method=method.description, cost=money(method.cost),
                 total=total)
    return _("%(method)s (total %(total)s)", method=method.description, total=total)


def payment_url_allowed(url: str) -> bool:
    """https; or http to a sandbox on this machine; or, from the sandbox built into the shop,
    a path on the shop's own site. Nothing else, whatever VdM (or a sandbox) answers."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return True
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return True
    return not current_app.config["VDM_API_URL"] and url.startswith("/") and not url.startswith(("//", "/\\"))


def return_url() -> str:
    base = current_app.config["SHOP_BASE_URL"] or request.url_root.rstrip("/")
    return base + url_for("orders.payment_return")


def wait_for(cart_id: str) -> Entry | None:
    """Another request (the first of a double click) is creating this cart's order: wait for it."""
    deadline = time.monotonic() + current_app.config["VDM_READ_TIMEOUT"] + 2
    entry = ledger().get(cart_id)
    while entry is not None and entry.state == CREATING and time.monotonic() < deadline:
        time.sleep(0.2)
        entry = ledger().get(cart_id)
    return entry


def to_payment(entry: Entry):
    """Where a cart that became an order goes: its payment page, or else its order page."""
    cart_module.forget()
    ordered = [c for c in session.get("ordered_carts", []) if c != entry.cart_id]
    session["ordered_carts"] = (ordered + [entry.cart_id])[-5:]
    if entry.payment_url:
        return redirect(entry.payment_url, 303)
    return redirect(url_for("orders.order", order_key=entry.order_key), 303)


class Uncertain(Exception):
    """VdM may or may not have created the order."""


def place_order(cart: Cart, form):
    """Create the order, or return the redirect of the one that exists. Raises Uncertain,
    or returns None with the reason in the form when nothing was created."""
    if not ledger().claim(cart.id):
        entry = wait_for(cart.id)
        if entry is not None and entry.state == CREATED:
            return to_payment(entry)
        if entry is not None and entry.state == UNCERTAIN and form.retry.data != "1":
            raise Uncertain
        claimed = ledger().reclaim(cart.id) if entry is not None else ledger().claim(cart.id)
        if not claimed:
            form.form_errors.append(_("Your order is still being created. Please wait a moment and try again."))
            return None

    customer = Customer(**form.contact(), avg_optin=bool(form.avg_optin.data),
                        avg_mailinglist=bool(form.avg_mailinglist.data))
    try:
        created = box_office().create_order(cart.id, int(form.payment_id.data), return_url(), customer)
    except CartNotFound:
        ledger().release(cart.id)
        cart_module.expired()
        return redirect(url_for("cart.show"), 303)
    except (Rejected, NotFound) as error:
        ledger().release(cart.id)
        form.form_errors.append(_("The box office did not accept the order: %(reason)s", reason=error.message))
        return None
    except ConnectFailed:
        ledger().release(cart.id)
        form.form_errors.append(NOTHING_ORDERED)
        return None
    except VdmError as error:  # a time-out, a 5xx or a garbled answer: the order may exist
        log.warning("order/create for a cart ended uncertain: %s: %s", type(error).__name__, error)
        ledger().uncertain(cart.id)
        raise Uncertain from error

    payment_url = created.url if payment_url_allowed(created.url) else None
    ledger().created(cart.id, created.order_key, payment_url)
    if payment_url is None:
        log.error("VdM gave order %s a payment URL that is not https; not following it", created.order_key)
        flash(_("Your order was created, but the payment page could not be opened safely. "
                "Please contact the box office."), "error")
    return to_payment(Entry(cart.id, CREATED, created.order_key, payment_url))


def details_form(payment_choices: list[tuple[str, str]]):
    cfg = current_app.config
    return checkout_form(cfg["SHOP_FIELDS_REQUIRED"], cfg["SHOP_FIELDS_HIDDEN"], bool(cfg["VENUE_TERMS_URL"]),
                         payment_choices)


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SHOP_RATE_LIMIT_ORDER"], methods=["POST"])
def details():
    if request.method == "POST":
        # A repeated submit of a cart that already became an order goes to the same payment page.
        posted = request.form.get("cart_id", "")
        if posted and posted in session.get("ordered_carts", []) + [session.get("cart_id")]:
            entry = wait_for(posted)
            if entry is not None and entry.state == CREATED:
                return to_payment(entry)

    try:
        cart = cart_module.load()
        methods = offered_methods() if cart is not None and not cart.is_empty else []
    except VdmError:
        # The box office is away: show the form again with everything typed, instead of an error page.
        form = details_form([])
        form.form_errors.append(NOTHING_ORDERED)
        return render_template("checkout.html", form=form, cart=None, groups=[], uncertain=False,
                               has_methods=False), 503
    if cart is None or cart.is_empty:
        flash(_("Your cart is empty, so there is nothing to check out."), "warning")
        return redirect(url_for("cart.show"), 303)

    form = details_form([(str(m.id), method_label(m, cart)) for m in methods])
    status, uncertain = 200, False
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            if form.cart_version.data != cart_version(cart):
                form.form_errors.append(_("Your cart changed since you saw it. Please check it and confirm again."))
                status = 409
            else:
                try:
                    response = place_order(cart, form)
                except Uncertain:
                    uncertain, status = True, 503
                else:
                    if response is not None:
                        return response
    # The form always describes the cart as it is now.
    form.cart_id.data = cart.id
    form.cart_version.data = cart_version(cart)
    form.retry.data = "1" if uncertain else ""
    return render_template("checkout.html", form=form, cart=cart, groups=cart_module.grouped(cart),
                           uncertain=uncertain, has_methods=bool(methods)), status
