"""The Flask extensions the shop uses, made here once and bound to the app in create_app()."""

from flask_caching import Cache
from flask_wtf import CSRFProtect

# Short-lived shared answers: the order-status throttle, rendered fragments, readiness.
cache = Cache()
csrf = CSRFProtect()
