"""Finding the external tools some tests need (Chromium, Java and the Nu Html Checker).

In CI a missing tool fails the test: `.ci/run` installs them all. On a developer's
machine the test is skipped with a message that says how to install it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"


def require(found, what: str, how: str):
    if found:
        return found
    message = f"{what} is not installed: {how} (scripts/test does this)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# Headless Chromium in a container: no sandbox (root), no GPU, no traffic of its own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    return require(path, "Chromium", "apt-get install chromium")


def vnu() -> list[str]:
    java = require(shutil.which("java"), "Java", "apt-get install default-jre-headless")
    require(VNU_JAR.exists(), "The Nu Html Checker", "npm install (it is vnu-jar in package.json)")
    return [java, "-jar", str(VNU_JAR)]


def redis_server() -> str:
    return require(shutil.which("redis-server"), "Redis", "apt-get install redis-server")
