"""The venue's time: VdM's dates and times are Dutch local time (Europe/Amsterdam).

The sandbox's own small helpers, so that it needs nothing of the shop's VdM client. A
`clock` is any callable that returns the seconds since the epoch, like `time.time`; the
store takes one so that tests can move time instead of waiting.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

VENUE_TZ = ZoneInfo("Europe/Amsterdam")

Clock = Callable[[], float]


def now(clock: Clock = time.time) -> datetime:
    """The moment `clock` says, in venue time."""
    return datetime.fromtimestamp(clock(), VENUE_TZ)
