"""How many tickets one visitor may hold in carts at a time.

Seats in a cart are held for everyone else until the cart expires, so an address that makes
carts without end (no cookie needed) could hold a whole performance. Each address may add at
most SHOP_HOLD_MAX_PER_PERFORMANCE tickets for one performance and SHOP_HOLD_MAX in all
within SHOP_HOLD_MINUTES (VdM does not document how long a cart lives: 30 minutes is what
the sandbox does, and an assumption). The counts live where the rate limits live (Redis when
the shop has it), and removing a ticket does not give it back: the bound is conservative.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from limits import RateLimitItemPerMinute

log = logging.getLogger(__name__)

PERFORMANCE, OVERALL = "performance", "overall"


@dataclass(frozen=True)
class Holds:
    limiter: object  # Flask-Limiter's Limiter: its strategy and storage (with its in-memory fallback)
    per_performance: int
    overall: int
    minutes: float

    def take(self, address: str, performance_id: int, quantity: int, already_in_cart: int) -> str | None:
        """Count `quantity` more tickets for this address. Returns None when allowed, or which
        bound it would pass (PERFORMANCE or OVERALL), in which case nothing is counted."""
        if already_in_cart + quantity > self.overall:
            return OVERALL
        window = max(1, round(self.minutes))
        try:
            strategy = self.limiter.limiter
            if not strategy.hit(RateLimitItemPerMinute(self.per_performance, window), "held", address,
                                str(performance_id), cost=quantity):
                return PERFORMANCE
            if not strategy.hit(RateLimitItemPerMinute(self.overall, window), "held", address, cost=quantity):
                return OVERALL
        except Exception as error:  # the counts' storage is away: buyers are not refused for that
            log.warning("ticket holds not counted: %s", error)
        return None
