"""The sandbox's settings, read and checked in one place.

`SandboxSettings.from_env()` reads the SANDBOX_* variables of the environment (or of any
mapping: the shop hands over its own, tests give a dict) and turns each into a typed value.
A value that cannot be used stops the start with a `SettingsError` that names the variable.

| variable                  | default                              |
| ------------------------- | ------------------------------------ |
| `SANDBOX_INSTANCE_PATH`   | Flask's instance folder for this package (`instance/` in a checkout) |
| `SANDBOX_DB`              | `<instance folder>/sandbox.sqlite3`  |
| `SANDBOX_CATALOGUE`       | the demo venue; a JSON file, `large` or `large:<shows>` |
| `SANDBOX_PENDING_SECONDS` | 30                                   |
| `SANDBOX_CART_MINUTES`    | 30                                   |
| `SANDBOX_DELAY_MS`        | 0                                    |
| `SANDBOX_PUBLIC_URL`      | empty: the address each request came in on |
| `SANDBOX_SECRET_KEY`      | a random key kept in the instance folder |
| `SANDBOX_API_KEY`         | a random key kept in the instance folder (`api_key`) |
"""

from __future__ import annotations

import math
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from . import large_venue
from .catalogue import LARGE

# A generated key has 64 characters; anything shorter than this is too easily guessed.
MIN_SECRET_LENGTH = 32
# The Peppered API key goes in an Authorization header, raw or as Basic auth's user name: so
# visible ASCII without a colon. Long enough not to be a typo or a word.
API_KEY = re.compile(r"[!-9;-~]{16,}")
API_KEY_FILE = "api_key"  # the generated key's file in the instance folder


class SettingsError(ValueError):
    """A SANDBOX_* value that cannot be used. `variable` is its name; the message says why."""

    def __init__(self, variable: str, message: str):
        super().__init__(f"{variable} {message}")
        self.variable = variable


@dataclass(frozen=True)
class SandboxSettings:
    instance_path: str  # where the database and the generated secret key live by default
    db: str  # the SQLite file with carts, seats and orders
    catalogue: str | None = None  # None: the demo venue; else a file, `large` or `large:<shows>`
    pending_seconds: float = 30  # a payment left pending becomes paid this long after
    cart_minutes: float = 30  # a cart expires this long after its last change
    delay_ms: float = 0  # added to every API call
    public_url: str = ""  # where browsers reach the pages; "" is the address asked, "/" the serving site
    secret_key: str | None = field(default=None, repr=False)  # signs the payment page's session; None: generated in the instance folder
    # The key of the Peppered endpoints. from_env always fills it in (SANDBOX_API_KEY, else the
    # key generated in the instance folder), so that the shop can read the key it shares with its
    # built-in sandbox here; None (settings made by hand) is the generated key too.
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, Any] | None = None, *, instance_path: str | None = None) -> SandboxSettings:
        """The settings that `env` (by default `os.environ`) gives. `instance_path`, when given,
        is the instance folder whatever SANDBOX_INSTANCE_PATH says (the shop passes its own)."""
        env = os.environ if env is None else env
        folder = instance_path or _path(env, "SANDBOX_INSTANCE_PATH") or default_instance_path()
        if Path(folder).exists() and not Path(folder).is_dir():
            raise SettingsError("SANDBOX_INSTANCE_PATH", f"must be a folder, and {folder!r} is not one")
        db = _path(env, "SANDBOX_DB") or str(Path(folder) / "sandbox.sqlite3")
        if Path(db).is_dir():
            raise SettingsError("SANDBOX_DB", f"must be a file (it is created if missing), and {db!r} is a folder")
        return cls(
            instance_path=os.path.abspath(folder),  # Flask takes only an absolute instance folder
            db=db,
            catalogue=_catalogue(env),
            pending_seconds=_number(env, "SANDBOX_PENDING_SECONDS", 30),
            cart_minutes=_number(env, "SANDBOX_CART_MINUTES", 30, minimum=0.01),
            delay_ms=_number(env, "SANDBOX_DELAY_MS", 0),
            public_url=_public_url(env),
            secret_key=_secret(env),
            # Last: a setting that stops the start writes no key file first.
            api_key=_api_key(env) or instance_api_key(os.path.abspath(folder)),
        )

    @property
    def cart_seconds(self) -> float:
        return self.cart_minutes * 60

    @property
    def delay(self) -> float:
        """The added delay, in seconds."""
        return self.delay_ms / 1000

    def as_dict(self) -> dict[str, Any]:
        """For logs and printing: everything but the keys."""
        return {k: v for k, v in asdict(self).items() if k not in ("secret_key", "api_key")}


def default_instance_path() -> str:
    """Flask's instance folder for this package: `instance/` beside it in a checkout, and
    `<prefix>/var/vdm_sandbox-instance` once installed."""
    from flask.sansio.scaffold import find_package

    prefix, package_path = find_package(__name__.partition(".")[0])
    if prefix is None:
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", "vdm_sandbox-instance")


def instance_secret(instance_path: str) -> str:
    """A random key kept in the instance folder, shared by every worker process."""
    return instance_key(instance_path, "secret_key", 48)


def instance_api_key(instance_path: str) -> str:
    """The Peppered API key when SANDBOX_API_KEY is not set: made and kept like the secret key."""
    return instance_key(instance_path, API_KEY_FILE, 32)


def instance_key(instance_path: str, name: str, size: int) -> str:
    """A random key of `size` bytes kept in the instance folder's file `name`, shared by every
    worker process (and every start)."""
    path = Path(instance_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written in full to a file of its own, then linked into place: workers starting at the
        # same moment never read a half-written key, and the first link wins for all of them.
        draft = path.with_name(f"{name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_urlsafe(size))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


# --- readers: one per kind of value -------------------------------------------------------


def _raw(env: Mapping[str, Any], name: str) -> str:
    value = env.get(name)
    return "" if value is None else str(value).strip()


def _path(env: Mapping[str, Any], name: str) -> str:
    raw = _raw(env, name)
    if "\0" in raw:
        raise SettingsError(name, "must be a path")
    return raw


def _number(env: Mapping[str, Any], name: str, default: float, minimum: float = 0) -> float:
    raw = _raw(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(name, f"must be a finite number, got {raw!r}")
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum:g}, got {raw!r}")
    return value


def _catalogue(env: Mapping[str, Any]) -> str | None:
    raw = _path(env, "SANDBOX_CATALOGUE")
    if not raw:
        return None
    if raw == LARGE or raw.startswith(LARGE + ":"):
        try:
            large_venue.parse_setting(raw)
        except ValueError:
            raise SettingsError("SANDBOX_CATALOGUE", f"must be large or large:<number of shows, 1 to "
                                                     f"{large_venue.MAX_SHOWS}>, got {raw!r}") from None
        return raw
    if not Path(raw).is_file():
        raise SettingsError("SANDBOX_CATALOGUE", f"must be a catalogue JSON file, large or large:<shows>; "
                                                 f"there is no file {raw!r}")
    return raw


def _public_url(env: Mapping[str, Any]) -> str:
    """An http(s) URL, or a path on the site that serves the pages (`/` inside the shop)."""
    raw = _raw(env, "SANDBOX_PUBLIC_URL")
    if not raw or (raw.startswith("/") and not raw.startswith("//")):
        return raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError("SANDBOX_PUBLIC_URL", f"must be an http(s) URL or a path starting with /, got {raw!r}")
    return raw


def _secret(env: Mapping[str, Any]) -> str | None:
    raw = _raw(env, "SANDBOX_SECRET_KEY")
    if not raw:
        return None
    if len(raw) < MIN_SECRET_LENGTH:
        raise SettingsError("SANDBOX_SECRET_KEY", f"is too short ({len(raw)} characters): it must be at least "
                                                  f"{MIN_SECRET_LENGTH} characters of random text, e.g. from: "
                                                  "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    return raw


def _api_key(env: Mapping[str, Any]) -> str | None:
    raw = _raw(env, "SANDBOX_API_KEY")
    if not raw:
        return None
    if not API_KEY.fullmatch(raw):
        raise SettingsError("SANDBOX_API_KEY", "must be at least 16 characters of visible ASCII without spaces or "
                                               "':' (it is sent in the Authorization header), e.g. from: "
                                               "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    return raw
