"""The sandbox's ids, shaped like VdM's: client names in the API's paths, cart ids (32
letters and digits), seat ids (10) and order keys (four groups of five, joined by dashes).
A seat of a hall's plan has a `stable_id`: ten letters and digits drawn from what it is, the
same on every load, and as opaque as VdM's (a client must not read rows out of it).

These are the sandbox's own rules, as it has seen VdM make them; the shop checks what it
receives by rules of its own."""

from __future__ import annotations

import hashlib
import re
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
CLIENT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CART_ID_LENGTH = 32
SEAT_ID_LENGTH = 10


def new_id(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_cart_id() -> str:
    return new_id(CART_ID_LENGTH)


def new_seat_id() -> str:
    return new_id(SEAT_ID_LENGTH)


def new_order_key() -> str:
    return "-".join(new_id(5) for _ in range(4))


def stable_id(*parts: object, length: int = SEAT_ID_LENGTH) -> str:
    """An id like `new_id`'s, the same for the same parts on every load."""
    digest = int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest(), "big")
    chars = []
    for _ in range(length):
        digest, i = divmod(digest, len(ALPHABET))
        chars.append(ALPHABET[i])
    return "".join(chars)
