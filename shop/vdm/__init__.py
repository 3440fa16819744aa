"""Client for the VoordeMensen public API."""

from .client import Customer, VdmClient
from .errors import (
    BadResponse,
    CartNotFound,
    ConnectFailed,
    NotFound,
    Rejected,
    UpstreamTimeout,
    UpstreamUnavailable,
    VdmError,
)
from .models import (
    ORDER_STATUSES,
    VENUE_TZ,
    Cart,
    Event,
    OrderCreated,
    OrderSeat,
    OrderStatus,
    PaymentMethod,
    Performance,
    Seat,
    TicketType,
)

__all__ = [
    "ORDER_STATUSES", "VENUE_TZ", "BadResponse", "Cart", "CartNotFound", "ConnectFailed", "Customer", "Event",
    "NotFound", "OrderCreated", "OrderSeat", "OrderStatus", "PaymentMethod", "Performance",
    "Rejected", "Seat", "TicketType", "UpstreamTimeout", "UpstreamUnavailable", "VdmClient", "VdmError",
]
