"""What VdM's ids look like, written once. Events and payment methods have integer ids;
carts, seats, ticket types (discounts), orders and the venue's client name are short tokens.
Anything else is refused before it can reach a URL."""

import re

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# Integer ids beyond 2**53 are not ids (and lose precision in JSON elsewhere).
MAX_INTEGER_ID = 2**53 - 1
