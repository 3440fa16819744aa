"""Client for the VoordeMensen public API."""

from shop.vdm.client import Customer, VdmClient, budget_left, time_budget
from shop.vdm.errors import (
    BadResponse,
    BudgetSpent,
    CartNotFound,
    ConnectFailed,
    NotFound,
    Rejected,
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

__all__ = [
    "ORDER_STATUSES", "OrderState", "VENUE_TZ", "BadResponse", "BudgetSpent", "Cart", "CartNotFound", "ConnectFailed", "Customer", "Event", "Location",
    "NotFound", "OrderCreated", "OrderSeat", "OrderStatus", "PaymentMethod", "Performance",
    "Rejected", "Seat", "TicketType", "UpstreamTimeout", "UpstreamUnavailable", "VdmClient", "VdmError", "budget_left", "time_budget",
]
