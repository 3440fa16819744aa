"""Client for the VoordeMensen public API and the few authenticated (Peppered) calls the shop uses.
The Peppered seat is `shop.vdm.peppered.Seat`; `Seat` here is the public cart's line."""

from shop.vdm.client import Customer, VdmClient, budget_left, time_budget
from shop.vdm.errors import (
    BadResponse,
    BudgetSpent,
    CartNotFound,
    ConnectFailed,
    KeyRefused,
    NotFound,
    Rejected,
    SeatsTaken,
    UpstreamTimeout,
    UpstreamUnavailable,
    VdmError,
)
from shop.vdm.models import (
    ORDER_STATUSES,
    VENUE_TZ,
    Cart,
    Event,
    Location,
    OrderCreated,
    OrderSeat,
    OrderState,
    OrderStatus,
    PaymentMethod,
    Performance,
    Seat,
    TicketType,
)
from shop.vdm.peppered import DONATION, Hall, HeldCart, HeldItem, NewItem, PriceLevel, Row, SeatPlan, Section

__all__ = [
    "DONATION", "Hall", "HeldCart", "HeldItem", "KeyRefused", "NewItem", "PriceLevel", "Row", "SeatPlan", "SeatsTaken",
    "Section",
    "ORDER_STATUSES", "OrderState", "VENUE_TZ", "BadResponse", "BudgetSpent", "Cart", "CartNotFound", "ConnectFailed", "Customer", "Event", "Location",
    "NotFound", "OrderCreated", "OrderSeat", "OrderStatus", "PaymentMethod", "Performance",
    "Rejected", "Seat", "TicketType", "UpstreamTimeout", "UpstreamUnavailable", "VdmClient", "VdmError", "budget_left", "time_budget",
]
