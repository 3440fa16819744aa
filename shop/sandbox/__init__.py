"""A temporary shim: the sandbox is the package `vdm_sandbox` now.

It goes once tests/test_browser.py, bench/run.py and bench/rush.py (being edited by others
at the time of the move) import `vdm_sandbox` or run `vdm-sandbox` themselves. They use
`create_app` only: test_browser.py imports it, and bench/run.py and bench/rush.py serve
`shop.sandbox:create_app()` with gunicorn, with the sandbox's instance folder in
SHOP_INSTANCE_PATH, which this `create_app` still honours (`vdm_sandbox` reads
SANDBOX_INSTANCE_PATH and nothing of the shop's).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask

from vdm_sandbox import SandboxSettings, init_sandbox
from vdm_sandbox import create_app as _create_app

__all__ = ["create_app", "init_sandbox"]


def create_app(settings: SandboxSettings | Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    if not isinstance(settings, SandboxSettings):
        instance_path = instance_path or os.environ.get("SHOP_INSTANCE_PATH") or None
    return _create_app(settings, instance_path=instance_path)
