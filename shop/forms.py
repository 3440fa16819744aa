"""The shop's forms. Every one is a Flask-WTF form, so every POST carries a CSRF token."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask import request
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Regexp

from .vdm import TicketType

ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
QUANTITY = re.compile(r"^\d{1,4}$")
FIELD_PREFIX = "qty_"


class QuantityField(StringField):
    """A whole number from 0 up; empty means 0. Invalid input is kept as typed."""

    def post_validate(self, form, validation_stopped):
        value = (self.data or "").strip()
        if value and not QUANTITY.match(value):
            self.errors.append(_("Enter a whole number from 0 up."))

    @property
    def quantity(self) -> int:
        value = (self.data or "").strip()
        return int(value) if QUANTITY.match(value) else 0


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


def tickets_form(ticket_types: list[TicketType], limit: int, **kwargs) -> TicketsForm:
    """A form with one quantity per ticket type that VdM offers for this performance now."""

    class Form(TicketsForm):
        pass

    usable = [t for t in ticket_types if ID.match(t.id)]
    for t in usable:
        setattr(Form, FIELD_PREFIX + t.id, QuantityField(t.name, default="0"))
    form = Form(**kwargs)
    form.ticket_types = usable
    form.limit = limit
    return form


class RemoveSeatForm(FlaskForm):
    seat_id = HiddenField(validators=[Regexp(ID)])
    submit = SubmitField(_l("Remove"))
