"""The shop's forms. Every one is a Flask-WTF form, so every POST carries a CSRF token."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from shop.infra.i18n import money
from shop.vdm import TicketType
from shop.vdm.ids import TOKEN

# \Z, never $: `$` also matches before a trailing newline, so "abc\n" passed as an id and VdM was
# asked for abc%0A. With \Z, .match (as in orders.py and WTForms' Regexp) checks the whole value.
ID = TOKEN  # seat ids, ticket-type ids and order keys
QUANTITY = re.compile(r"[0-9]{1,4}\Z")  # ASCII digits: \d also takes "١" and "５"
FIELD_PREFIX = "qty_"


class QuantityField(StringField):
    """A whole number from 0 up; empty means 0. Invalid input is kept as typed."""

    def post_validate(self, form, validation_stopped):
        value = (self.data or "").strip()
        if value and not QUANTITY.fullmatch(value):
            self.errors.append(_("Enter a whole number from 0 up."))

    @property
    def quantity(self) -> int:
        value = (self.data or "").strip()
        return int(value) if QUANTITY.fullmatch(value) else 0


class TicketsForm(FlaskForm):
    submit = SubmitField(_l("Add to cart"))

    ticket_types: list[TicketType] = []
    limit: int = 0

    def quantity_fields(self):
        return [(t, self[FIELD_PREFIX + t.id]) for t in self.ticket_types]

    def chosen(self) -> list[tuple[TicketType, int]]:
        return [(t, field.quantity) for t, field in self.quantity_fields() if field.quantity > 0]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        known = {FIELD_PREFIX + t.id for t in self.ticket_types}
        # A quantity for a ticket type VdM no longer offers (the page was older than the offer).
        stale = [key for key, value in request.form.items()
                 if key.startswith(FIELD_PREFIX) and key not in known and value.strip() not in ("", "0")]
        if stale:
            self.form_errors.append(_("A ticket type you chose is no longer available. Please choose again."))
            return False
        if not valid:
            return False
        total = sum(quantity for _, quantity in self.chosen())
        if total == 0:
            self.form_errors.append(_("Choose at least one ticket."))
            return False
        if total > self.limit:
            message = _("You can buy at most %(limit)s tickets for this performance.", limit=self.limit)
            for _type, field in self.quantity_fields():
                if field.quantity:
                    field.errors.append(message)
            return False
        return True


@lru_cache(maxsize=512)
def _tickets_form_class(fields: tuple[tuple[str, str], ...]) -> type[TicketsForm]:
    """Building a form class is slow; performances share the few sets of ticket types there are."""

    class Form(TicketsForm):
        pass

    for ticket_type_id, name in fields:
        setattr(Form, FIELD_PREFIX + ticket_type_id, QuantityField(name, default="0"))
    return Form


def tickets_form(ticket_types: list[TicketType], limit: int, **kwargs) -> TicketsForm:
    """A form with one quantity per ticket type that VdM offers for this performance now."""
    usable = [t for t in ticket_types if ID.fullmatch(t.id)]
    form = _tickets_form_class(tuple((t.id, t.name) for t in usable))(**kwargs)
    form.ticket_types = usable
    form.limit = limit
    return form


class SeatsForm(FlaskForm):
    """The seats chosen on a performance's plan (checkboxes named `seat`); the plan checks them
    (shop/domain/seating.py), so any value is taken here and kept as ticked."""

    seat = SelectMultipleField(validate_choice=False)
    submit = SubmitField(_l("Continue"))


class SeatTypesForm(FlaskForm):
    """A ticket type for each chosen seat (selects named type_<seat id>, read by the domain),
    and the seats themselves, as they were shown."""

    seat = SelectMultipleField(validate_choice=False)
    submit = SubmitField(_l("Add to cart"))


class RemoveSeatForm(FlaskForm):
    seat_id = HiddenField(validators=[Regexp(ID)])
    submit = SubmitField(_l("Remove"))


def strip(value):
    return value.strip() if isinstance(value, str) else value


# Characters that go onto tickets, receipts and VdM's records: no control characters (NUL, ESC,
# DEL, line breaks, tabs), no line or paragraph separators, and none of the embeddings, overrides
# and isolates that reorder the text around them (U+202E makes "evil.exe" of "exe.live").
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")
# What shows nothing by itself: spaces, format characters (zero-width space, joiners, soft hyphen,
# byte-order mark), combining marks with nothing to combine with, and the blank "letters".
INVISIBLE_CATEGORIES = ("Cf", "Zs", "Mn", "Me")
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


class PlainText:
    """Text that prints as typed: refuses control and text-direction characters, and values made
    only of invisible characters (a zero-width joiner inside a name is fine: Persian needs it)."""

    def __call__(self, form, field):
        value = field.data if isinstance(field.data, str) else ""
        if any(c in DIRECTION_CONTROLS or unicodedata.category(c) in REFUSED_CATEGORIES for c in value):
            raise ValidationError(_("This contains a character that cannot be used here, such as a line break, a "
                                    "control character or a text-direction mark. Please type it again."))
        if value and all(c in BLANK_LETTERS or unicodedata.category(c) in INVISIBLE_CATEGORIES for c in value):
            raise ValidationError(_("This contains only invisible characters. Please type it again."))


# Euros as a buyer types them: "10", "7,50" (the Dutch way) or "7.50", a euro sign allowed.
AMOUNT = re.compile(r"([0-9]{1,7})(?:[.,]([0-9]+))?\Z")
CENT = Decimal("0.01")


class AmountField(StringField):
    """An amount in euros, in whole cents, between `minimum` and `maximum`; empty is none.
    Invalid input is kept as typed."""

    minimum = Decimal("1.00")
    maximum = Decimal("500.00")

    def post_validate(self, form, validation_stopped):
        typed = self._typed()
        if not typed:
            return
        found = AMOUNT.fullmatch(typed)
        if not found:
            self.errors.append(_("Enter an amount in euros, like 10 or 7,50."))
        elif len(found.group(2) or "") > 2:
            self.errors.append(_("Enter an amount in whole cents, like 7,50."))
        elif not self.minimum <= self._amount(found) <= self.maximum:
            self.errors.append(_("Enter an amount from %(minimum)s to %(maximum)s.", minimum=money(self.minimum),
                                 maximum=money(self.maximum)))

    def _typed(self) -> str:
        return (self.data or "").replace("€", "").strip()

    @staticmethod
    def _amount(found: re.Match) -> Decimal:
        return Decimal(f"{found.group(1)}.{found.group(2) or '0'}").quantize(CENT)

    @property
    def amount(self) -> Decimal:
        """The amount, once validated; 0 for none."""
        found = AMOUNT.fullmatch(self._typed())
        return self._amount(found) if found and len(found.group(2) or "") <= 2 else Decimal("0.00")


class CheckoutForm(FlaskForm):
    """The buyer's details, named as VdM's order/create takes them."""

    email = EmailField(_l("E-mail address"), filters=[strip], validators=[
        DataRequired(_l("Enter your e-mail address.")), Length(max=254), PlainText(),
        Email(_l("Enter an e-mail address like name@example.nl."))])
    firstname = StringField(_l("First name"), filters=[strip], validators=[
        DataRequired(_l("Enter your first name.")), Length(max=100), PlainText()])
    lastname = StringField(_l("Last name"), filters=[strip], validators=[
        DataRequired(_l("Enter your last name.")), Length(max=100), PlainText()])
    phone = TelField(_l("Phone number"), filters=[strip], validators=[
        Optional(), Length(max=32), PlainText(), Regexp(r"\+?[0-9 ()./-]{6,32}\Z", message=_l("Enter a phone number, like 030 123 45 67."))])
    address = StringField(_l("Address"), filters=[strip], validators=[Optional(), Length(max=200), PlainText()])
    city = StringField(_l("City"), filters=[strip], validators=[Optional(), Length(max=100), PlainText()])
    zip = StringField(_l("Postcode"), filters=[strip], validators=[Optional(), Length(max=16), PlainText()])
    # Kept as text, so that a tampered value is "not a valid choice" like an unknown id.
    payment_id = RadioField(_l("Payment method"), validate_choice=True,
                            validators=[InputRequired(_l("Choose how you want to pay."))])
    donation = AmountField(_l("Donation"), filters=[strip], validators=[Optional(), Length(max=20)])
    avg_optin = BooleanField(_l("VoordeMensen may contact me about this order"))
    avg_mailinglist = BooleanField(_l("Send me the newsletter"))
    terms = BooleanField(_l("I accept the terms and conditions"))
    cart_id = HiddenField()
    cart_version = HiddenField()
    retry = HiddenField()
    submit = SubmitField(_l("Continue to payment"))

    # The contact fields, in the order shown, with the browser's autofill name for each.
    AUTOCOMPLETE = {"email": "email", "firstname": "given-name", "lastname": "family-name", "phone": "tel",
                    "address": "address-line1", "city": "address-level2", "zip": "postal-code"}

    def detail_fields(self):
        return [self[name] for name in self.AUTOCOMPLETE if name in self]

    def contact(self) -> dict[str, str]:
        """What the buyer typed, by VdM's field names; a field the venue hides is not sent."""
        return {field.name: field.data or "" for field in self.detail_fields()}


def checkout_form(required: list[str], hidden: list[str], terms: bool, payment_choices: list[tuple[int, str]],
                  donation_max: Decimal | None = None, **kwargs) -> CheckoutForm:
    """The checkout form as the venue configured it: which fields are required or hidden,
    whether terms must be accepted, which payment methods are offered, and the largest
    donation (None: no donation is asked for)."""
    form = CheckoutForm(**kwargs)
    if donation_max is None:
        del form["donation"]
    else:
        form.donation.maximum = donation_max
    for name in hidden:
        del form[name]
    for name in required:
        field = form[name]
        field.validators = [DataRequired(_("This field is required."))] + [
            v for v in field.validators if not isinstance(v, Optional)]
        field.flags.required = True
    if terms:
        form.terms.validators = [DataRequired(_("Accept the terms and conditions to continue."))]
        form.terms.flags.required = True
    else:
        del form["terms"]
    form.payment_id.choices = payment_choices
    return form
