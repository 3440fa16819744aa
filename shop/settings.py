"""All configuration, read from environment variables in one place, into one typed object.

`Settings.load(environ, instance_path, overrides)` parses and checks every setting; a bad
value, an override of the wrong type or an unknown SHOP_/VDM_/VENUE_ name stops the start-up
with a message that names the setting, never a silent default. Every variable is documented
in README.md and .env.example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePath
from typing import Any, Mapping, get_type_hints
from urllib.parse import urlsplit

from shop.infra.i18n import FALLBACK, LANGUAGES
from shop.infra.urls import is_local_path, is_loopback, is_web_url
from shop.vdm import Customer
from shop.vdm.ids import TOKEN

# A shop without SHOP_SECRET_KEY runs only on its built-in sandbox: it keeps its key the way the
# sandbox keeps its own, in the instance folder.
from vdm_sandbox.settings import SandboxSettings, SettingsError, instance_secret


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message says which and why."""


# Below this the shop's own forms (the checkout with long names in UTF-8) might not fit.
MIN_BODY_BYTES = 4096
# SHOP_SECRET_KEY signs the sessions; a generated one (secrets.token_urlsafe(48)) has 64 characters.
MIN_SECRET_LENGTH = 32


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _url(env: Mapping[str, str], name: str, relative: bool = False) -> str:
    """An http(s) URL; with `relative`, a path on the shop's own site is fine too."""
    raw = env.get(name, "").strip()
    if raw and not (is_web_url(raw) or (relative and is_local_path(raw))):
        raise ConfigError(f"{name} must be an http(s) URL{' or a path on the site' if relative else ''}, got {raw!r}")
    return raw if relative else raw.rstrip("/")


def _api_key(env: Mapping[str, str], name: str) -> str:
    """A secret for a header: the message names the problem, never the value."""
    raw = env.get(name, "").strip()
    if not all(" " <= c <= "~" for c in raw):
        raise ConfigError(f"{name} may only hold printable ASCII characters (the key as VdM gave it)")
    return raw


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip() or "0"
    if raw not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 (off) or 1 (on), got {raw!r}")
    return raw == "1"


def _euros(env: Mapping[str, str], name: str, default: str, minimum: str) -> Decimal:
    raw = env.get(name, "").strip() or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name} must be an amount in euros, got {raw!r}") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or value < Decimal(minimum):
        raise ConfigError(f"{name} must be an amount in euros of at least {minimum}, in whole cents, got {raw!r}")
    return value.quantize(Decimal("0.01"))


def _redis_url(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if raw and urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{name} must be a redis://, rediss:// or unix:// URL, got {raw!r}")
    return raw


# An origin's host and port as a Content-Security-Policy source may have them: nothing that could end the
# source or the directive (";", quotes, a user name), a wildcard only for the subdomains of a host.
HOST_SOURCE = re.compile(r"(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def _origins(env: Mapping[str, str], name: str) -> list[str]:
    origins = []
    for raw in env.get(name, "").replace(",", " ").split():
        parts = urlsplit(raw)
        if (parts.scheme not in ("http", "https") or not HOST_SOURCE.fullmatch(parts.netloc)
                or parts.path not in ("", "/") or parts.query or parts.fragment):
            raise ConfigError(f"{name} must list origins like https://images.example.org, got {raw!r}")
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def _folder(env: Mapping[str, str], name: str, parts: tuple[str, ...]) -> str:
    """An existing folder holding at least one of `parts`, as an absolute path; empty when unset."""
    raw = env.get(name, "").strip()
    if not raw:
        return ""
    folder = Path(raw).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"{name} must be an existing folder, got {raw!r}")
    if not any((folder / part).is_dir() for part in parts):
        # Most likely the theme's templates/ itself, or its parent: nothing would change, silently.
        raise ConfigError(f"{name} must be a folder with {' or '.join(f'{p}/' for p in parts)} in it, got {raw!r}")
    return str(folder)


def built_in_sandbox_settings(env: Mapping[str, str], instance_path: str) -> SandboxSettings:
    """The built-in sandbox's settings. The shop does not read the SANDBOX_* variables itself:
    it hands the same environment (with create_app's overrides) to the sandbox's own reader,
    which keeps its files in the shop's instance folder. A bad value stops the shop's start."""
    try:
        return SandboxSettings.from_env(env, instance_path=instance_path)
    except SettingsError as error:
        raise ConfigError(str(error)) from None


def shop_settings(env: Mapping[str, str], instance_path: str) -> dict:
    api_url = _url(env, "VDM_API_URL")
    secret = env.get("SHOP_SECRET_KEY", "").strip()
    if api_url and not secret:
        raise ConfigError(
            "SHOP_SECRET_KEY is not set. It signs the buyers' sessions and must be a long random "
            "string kept out of the repository, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if secret and len(secret) < MIN_SECRET_LENGTH:
        # A short key can be guessed offline from one session cookie, and then any session forged.
        raise ConfigError(
            f"SHOP_SECRET_KEY is too short ({len(secret)} characters): it must be at least {MIN_SECRET_LENGTH} "
            "characters of random text, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    base_url = _url(env, "SHOP_BASE_URL")
    if api_url and not is_loopback(api_url) and not base_url:
        raise ConfigError(
            "SHOP_BASE_URL is not set. VdM sends buyers back to it after paying, so it must be the "
            "shop's public https address, e.g. https://tickets.example-theatre.nl"
        )
    client_name = env.get("VDM_CLIENT_NAME", "").strip() or "demo"
    if not TOKEN.fullmatch(client_name):
        raise ConfigError(f"VDM_CLIENT_NAME must be the venue's short name, got {client_name!r}")
    settings = {
        # Empty means: the built-in sandbox, started inside the shop.
        "VDM_API_URL": api_url,
        "VDM_CLIENT_NAME": client_name,
        "VDM_CONNECT_TIMEOUT": _float(env, "VDM_CONNECT_TIMEOUT", 3.05, minimum=0.1),
        "VDM_READ_TIMEOUT": _float(env, "VDM_READ_TIMEOUT", 10, minimum=0.1),
        # For VdM's authenticated API (seat choice, hold times, donations). Empty with the built-in
        # sandbox: the sandbox's own generated key (BoxOffice.client).
        "VDM_API_KEY": _api_key(env, "VDM_API_KEY"),
        "SECRET_KEY": secret or instance_secret(instance_path),
        # Empty (only for a sandbox) means: the address the request came in on.
        "SHOP_BASE_URL": base_url,
        # How many reverse proxies in front of the shop to believe about the client and https.
        "SHOP_TRUST_PROXY": int(_float(env, "SHOP_TRUST_PROXY", 0)),
        "SHOP_IMAGE_HOSTS": _origins(env, "SHOP_IMAGE_HOSTS"),
        # The venue's sites that may show the shop in a frame (empty: none may).
        "SHOP_FRAME_ANCESTORS": _origins(env, "SHOP_FRAME_ANCESTORS"),
        # Shared state for several processes and hosts: cache, status throttle, rate limits, ledger.
        "SHOP_REDIS_URL": _redis_url(env, "SHOP_REDIS_URL"),
        # The largest request body the shop reads (its biggest form is a few KiB); larger gets 413.
        "SHOP_MAX_BODY_BYTES": int(_float(env, "SHOP_MAX_BODY_BYTES", 64 * 1024, minimum=MIN_BODY_BYTES)),
    }
    settings.update(catalogue_settings(env))
    settings.update(venue_settings(env, sandbox=not api_url))
    settings.update(checkout_settings(env, instance_path))
    if not api_url:
        settings["SANDBOX_SETTINGS"] = built_in_sandbox_settings(env, instance_path)
    return settings


def catalogue_settings(env: Mapping[str, str]) -> dict:
    # VdM asks integrators to cache the event list for at least a few minutes.
    refresh = _float(env, "SHOP_CATALOGUE_REFRESH", 180, minimum=10)
    max_age = _float(env, "SHOP_CATALOGUE_MAX_AGE", max(900, 3 * refresh), minimum=refresh)
    concurrency = int(_float(env, "SHOP_CATALOGUE_CONCURRENCY", 6, minimum=1))
    if concurrency > 32:
        raise ConfigError(f"SHOP_CATALOGUE_CONCURRENCY must be at most 32 (be kind to VdM), got {concurrency}")
    return {
        "SHOP_CATALOGUE_REFRESH": refresh,
        "SHOP_CATALOGUE_MAX_AGE": max_age,
        "SHOP_CATALOGUE_CONCURRENCY": concurrency,
    }


# The contact fields a venue may require or hide: those VdM's order takes as optional.
CUSTOMER_FIELDS = tuple(f.name for f in fields(Customer) if f.default == "")


def _names(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    values = [v.strip() for v in env.get(name, "").split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ConfigError(f"{name} may only name {', '.join(allowed)}; got {', '.join(unknown)}")
    return values


def _limit(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, "").strip() or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be a rate like '10 per minute', got {value!r}") from None
    return value


def checkout_settings(env: Mapping[str, str], instance_path: str) -> dict:
    required = _names(env, "SHOP_FIELDS_REQUIRED", CUSTOMER_FIELDS)
    hidden = _names(env, "SHOP_FIELDS_HIDDEN", CUSTOMER_FIELDS)
    if set(required) & set(hidden):
        raise ConfigError("SHOP_FIELDS_REQUIRED and SHOP_FIELDS_HIDDEN name the same field")
    methods = [v.strip() for v in env.get("SHOP_PAYMENT_METHODS", "").split(",") if v.strip()]
    if not all(m.isdigit() for m in methods):
        raise ConfigError(f"SHOP_PAYMENT_METHODS must be payment ids separated by commas, got {methods!r}")
    return {
        # Tickets one address may hold in carts within SHOP_HOLD_MINUTES (see shop/holds.py).
        "SHOP_HOLD_MAX_PER_PERFORMANCE": int(_float(env, "SHOP_HOLD_MAX_PER_PERFORMANCE", 10, minimum=1)),
        "SHOP_HOLD_MAX": int(_float(env, "SHOP_HOLD_MAX", 20, minimum=1)),
        "SHOP_HOLD_MINUTES": _float(env, "SHOP_HOLD_MINUTES", 30, minimum=1),
        "SHOP_RATE_LIMIT_CART": _limit(env, "SHOP_RATE_LIMIT_CART", "30 per minute"),
        "SHOP_RATE_LIMIT_ORDER": _limit(env, "SHOP_RATE_LIMIT_ORDER", "10 per minute"),
        # Order pages for keys this shop did not create (each one costs a VdM call).
        "SHOP_RATE_LIMIT_ORDER_LOOKUP": _limit(env, "SHOP_RATE_LIMIT_ORDER_LOOKUP", "20 per minute"),
        "SHOP_FIELDS_REQUIRED": required,
        "SHOP_FIELDS_HIDDEN": hidden,
        "SHOP_PAYMENT_METHODS": [int(m) for m in methods],
        "SHOP_LEDGER_DB": env.get("SHOP_LEDGER_DB", "").strip() or str(Path(instance_path) / "orders.sqlite3"),
        # VdM asks never to poll an order more often than every 10 seconds.
        "SHOP_STATUS_INTERVAL": _float(env, "SHOP_STATUS_INTERVAL", 10, minimum=10),
        # A donation with the order (needs the API key too); the most one order may give.
        "SHOP_DONATION": _switch(env, "SHOP_DONATION"),
        "SHOP_DONATION_MAX": _euros(env, "SHOP_DONATION_MAX", "500", minimum="1"),
    }


def venue_settings(env: Mapping[str, str], sandbox: bool) -> dict:
    language = env.get("SHOP_DEFAULT_LANGUAGE", "").strip() or FALLBACK
    if language not in LANGUAGES:
        raise ConfigError(f"SHOP_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {language!r}")
    accent = env.get("VENUE_ACCENT_COLOUR", "").strip() or "#8b1e3f"
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", accent):
        raise ConfigError(f"VENUE_ACCENT_COLOUR must be a colour like #8b1e3f, got {accent!r}")
    return {
        "SHOP_DEFAULT_LANGUAGE": language,
        "VENUE_NAME": env.get("VENUE_NAME", "").strip() or ("Theater De Lindeboom (demo)" if sandbox else "Tickets"),
        "VENUE_LOGO_URL": _url(env, "VENUE_LOGO_URL", relative=True),
        "VENUE_ACCENT_COLOUR": accent.lower(),
        "VENUE_CONTACT": [line.strip() for line in env.get("VENUE_CONTACT", "").split("|") if line.strip()],
        "VENUE_PRIVACY_URL": _url(env, "VENUE_PRIVACY_URL", relative=True),
        "VENUE_TERMS_URL": _url(env, "VENUE_TERMS_URL", relative=True),
        # The venue's own templates and static files, in front of the shop's (shop/infra/theme.py).
        "SHOP_THEME_DIR": _folder(env, "SHOP_THEME_DIR", ("templates", "static")),
    }


@dataclass(frozen=True)
class Settings:
    """Every setting of the shop, parsed and checked. Named like the environment variables,
    in lower case; `as_config()` gives them to Flask under their variable names."""

    vdm_api_url: str  # empty: the built-in sandbox, started inside the shop
    vdm_client_name: str
    vdm_connect_timeout: float
    vdm_read_timeout: float
    vdm_api_key: str = field(repr=False)  # a secret: never logged, never in a page
    secret_key: str = field(repr=False)
    shop_base_url: str  # empty (only with a sandbox on this machine): the request's own address
    shop_trust_proxy: int  # how many reverse proxies to believe about the client and https
    shop_image_hosts: tuple[str, ...]
    shop_frame_ancestors: tuple[str, ...]  # origins that may frame the shop
    shop_redis_url: str  # shared state for several processes and hosts
    shop_max_body_bytes: int
    shop_catalogue_refresh: float
    shop_catalogue_max_age: float
    shop_catalogue_concurrency: int
    shop_default_language: str
    venue_name: str
    venue_logo_url: str
    venue_accent_colour: str
    venue_contact: tuple[str, ...]
    venue_privacy_url: str
    venue_terms_url: str
    shop_theme_dir: str  # empty: no theme, the shop's own look
    shop_hold_max_per_performance: int
    shop_hold_max: int
    shop_hold_minutes: float
    shop_rate_limit_cart: str
    shop_rate_limit_order: str
    shop_rate_limit_order_lookup: str
    shop_fields_required: tuple[str, ...]
    shop_fields_hidden: tuple[str, ...]
    shop_payment_methods: tuple[int, ...]
    shop_ledger_db: str
    shop_status_interval: float
    shop_donation: bool
    shop_donation_max: Decimal
    sandbox_settings: SandboxSettings | None  # the built-in sandbox's own, when there is one

    @classmethod
    def load(cls, environ: Mapping[str, str], instance_path: str,
             overrides: Mapping[str, Any] | None = None) -> tuple[Settings, dict[str, Any]]:
        """The settings from the environment, with `overrides` named like its variables (typed
        values are taken when they fit the setting: [35, 33] for SHOP_PAYMENT_METHODS, True for
        SHOP_TRUST_PROXY). Returns them and the overrides that are Flask's own (TESTING, …)."""
        env, flask = dict(environ), {}
        for name, value in (overrides or {}).items():
            if name in SETTING_NAMES or name.startswith("SANDBOX_"):
                env[name] = _as_text(name, value)
            elif name.startswith(("SHOP_", "VDM_", "VENUE_")) and name != "SHOP_SECRET_KEY":
                raise ConfigError(f"{name} is not a setting of the shop (see README.md, Configuration)")
            elif name == "SHOP_SECRET_KEY":
                env[name] = _as_text(name, value)
            else:
                flask[name] = value
        parsed = shop_settings(env, instance_path)
        values = {f.name: parsed.get(f.name.upper()) for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**values), flask

    def as_config(self) -> dict[str, Any]:
        return {f.name.upper(): getattr(self, f.name) for f in fields(self)}


SETTING_NAMES = {f.name.upper() for f in fields(Settings)} - {"SANDBOX_SETTINGS"}
LIST_SEPARATORS = {"VENUE_CONTACT": "|"}


def _as_text(name: str, value: Any) -> str:
    """An override as the environment would say it, when its type fits the setting."""
    kind = get_type_hints(Settings).get(name.lower(), str)
    if isinstance(value, str):
        return value
    if isinstance(value, PurePath) and kind is str:  # a folder (SHOP_THEME_DIR) given as a Path
        return str(value)
    numeric = kind in (int, float, bool, Decimal)
    if isinstance(value, bool) and numeric:
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and (numeric or name.startswith("SANDBOX_")):
        return str(value)
    if isinstance(value, (list, tuple)) and str(kind).startswith("tuple") and all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return LIST_SEPARATORS.get(name, ",").join(str(v) for v in value)
    raise ConfigError(f"{name} cannot be {value!r} ({type(value).__name__}): give it as the environment would, "
                      f"as text{' or a number' if numeric else ''}{' or a list' if str(kind).startswith('tuple') else ''}")
