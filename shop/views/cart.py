"""The cart page, and removing a seat from it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from shop.domain import cart_session, seating
from shop.views.forms import RemoveSeatForm

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.get("/")
def page():
    cart = cart_session.load()
    held = cart_session.held(cart)  # until when the seats are held, and where numbered seats are
    return render_template("cart.html", cart=cart, groups=cart_session.grouped(cart) if cart else [],
                           held=held, places=seating.places(held), remove_form=RemoveSeatForm())


@bp.post("/remove")
def remove():
    form = RemoveSeatForm()
    outcome = cart_session.remove(form.seat_id.data) if form.validate_on_submit() else cart_session.NOT_THERE
    if outcome == cart_session.EXPIRED:
        cart_session.drop_expired()
    else:
        flash(REMOVED[outcome][0], REMOVED[outcome][1])
    return redirect(url_for("cart.page"), 303)


REMOVED = {
    cart_session.REMOVED: (_l("The ticket was removed from your cart."), "success"),
    cart_session.NOT_THERE: (_l("That ticket was no longer in your cart."), "warning"),
    cart_session.BEING_ORDERED: (_l("This cart is being ordered, so it can no longer be changed."), "warning"),
}
