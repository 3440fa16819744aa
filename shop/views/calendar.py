"""Calendar files: "Add to calendar" for one performance, and one file with every performance of
an order the buyer has paid. The file itself is made by shop/domain/calendar.py; this view
gives it the texts in the buyer's language and the shop's absolute addresses."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app
from flask_babel import gettext as _

from shop.domain import programme
from shop.domain.calendar import Visit, calendar, filename, location
from shop.domain.ledger import OrderLine
from shop.infra.box_office import box_office
from shop.infra.snapshot import Snapshot
from shop.infra.urls import absolute_url
from shop.vdm import OrderState, UpstreamUnavailable
from shop.vdm.ids import MAX_INTEGER_ID
from shop.views.forms import ID as ORDER_KEY

bp = Blueprint("calendar", __name__)

# An order's performances go into the buyer's calendar once they are (partly) paid: the seats
# are then the buyer's. While nothing is paid the order may never be, and after a cancelled
# payment nothing was bought, so a calendar entry would only mislead.
OFFERED = (OrderState.PAID, OrderState.PARTIAL)


@bp.get(f"/performances/<int(max={MAX_INTEGER_ID}):performance_id>/calendar.ics")
def performance(performance_id: int):
    snapshot = box_office().snapshot()
    found = snapshot.performance(performance_id)
    if found is None or found[1].status not in programme.VISIBLE_STATUSES:  # as its own page
        abort(404)
    show, perf = found
    notes = [show.short_text, _("Tickets: %(url)s", url=absolute_url("catalogue.performance", performance_id=perf.id))]
    visit = Visit(perf.id, show.name, perf.starts_at, perf.ends_at,
                  _where(snapshot, perf.location_id, perf.location_name), absolute_url("catalogue.show", event_id=show.id),
                  _description(notes, perf.ends_at is None))
    return _file([visit], filename(show.name, perf.starts_at.date()))


@bp.get("/order/<order_key>/calendar.ics")
def order(order_key: str):
    entry = current_app.extensions["ledger"].by_order(order_key) if ORDER_KEY.match(order_key) else None
    if entry is None or entry.purchase is None:  # made elsewhere, or before the shop kept what was bought
        abort(404)
    status = box_office().order_status(order_key)  # asked of VdM at most once per 10 s per order
    if status is None:
        raise UpstreamUnavailable("the order's status is not known yet")
    if status.status not in OFFERED:
        abort(404)
    snapshot = box_office().catalogue.current()
    groups = entry.purchase.by_performance()
    visits = [_visit(snapshot, lines) for lines in groups]
    response = _file(visits, filename(_("tickets"), groups[0][0].starts_at.date()))
    response.cache_control.private = True  # the order's own file: not for shared caches
    return response


def _visit(snapshot: Snapshot | None, lines: tuple[OrderLine, ...]) -> Visit:
    """One performance of an order, with the tickets bought for it."""
    first = lines[0]
    tickets = ", ".join(f"{line.quantity} × {line.ticket_type or _('Ticket')}" for line in lines)
    url = absolute_url("catalogue.show", event_id=first.show_id) if first.show_id is not None else None
    return Visit(first.performance_id, first.show, first.starts_at, first.ends_at,
                 _where(snapshot, first.location_id, first.hall), url,
                 _description([_("Your tickets: %(tickets)s", tickets=tickets)], first.ends_at is None))


def _where(snapshot: Snapshot | None, location_id: int | None, hall: str) -> str:
    """The hall and, when VdM's halls give one, its address."""
    found = snapshot.locations.get(location_id) if snapshot and location_id is not None else None
    return location(hall or (found.name if found else ""), found.address_lines if found else ())


def _description(notes: list[str], end_unknown: bool) -> str:
    if end_unknown:
        notes = [*notes, _("The end time is not known yet.")]
    return "\n\n".join(note for note in notes if note)


def _file(visits: list[Visit], name: str) -> Response:
    cfg = current_app.config
    host = urlsplit(absolute_url("catalogue.programme")).hostname or "localhost"
    body = calendar(visits, client_name=cfg["VDM_CLIENT_NAME"], host=host)
    return Response(body, content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
