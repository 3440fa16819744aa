"""The one exception hierarchy of the VdM client.

Callers catch `VdmError` for "something went wrong upstream" and the subclasses
when they can do something specific about it.
"""


class VdmError(Exception):
    """Root of every error the client raises."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(VdmError):
    """VdM does not know the event, performance, order or cart asked for."""


class CartNotFound(NotFound):
    """The cart is unknown or expired at VdM: the shop should start a new one."""


class Rejected(VdmError):
    """VdM understood the request and refused it (too many tickets, unknown ticket type, …)."""


class UpstreamUnavailable(VdmError):
    """VdM could not be reached or failed: connection error, time-out or a 5xx answer."""


class ConnectFailed(UpstreamUnavailable):
    """No connection to VdM could be made: the request was certainly never sent."""


class BudgetSpent(ConnectFailed):
    """The time allowed for this piece of work on VdM is used up, so the call was not made."""


class UpstreamTimeout(UpstreamUnavailable):
    """VdM did not answer in time. For a POST the request may still have been carried out."""


class BadResponse(VdmError):
    """VdM answered, but not with what its documentation describes."""


class KeyRefused(VdmError):
    """VdM refused the API key of an authenticated ("Peppered") call, with a 401 or 403, or the
    client has no key at all (then no call was made). Never carries the key itself."""


class SeatsTaken(Rejected):
    """Some of the chosen seats are no longer free (409); nothing was added. `seat_ids` names
    them as VdM did, so the buyer can be shown which."""

    def __init__(self, message: str, seat_ids: tuple[str, ...] = (), *, status: int | None = 409):
        super().__init__(message, status=status)
        self.seat_ids = seat_ids
