"""The code itself: ruff's checks (pyflakes, pycodestyle, bugbear, import order) and no
function above complexity 10 (C901), over the shop and the sandbox (and, but for complexity, the benchmark and the tests)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tools import ROOT, require


def test_ruff_passes_with_complexity_at_most_10():
    ruff = require(shutil.which("ruff") or str(Path(sys.executable).parent / "ruff"), "ruff",
                   "pip install -e '.[test]'")
    result = subprocess.run([ruff, "check", "shop", "vdm_sandbox", "bench", "tests"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
