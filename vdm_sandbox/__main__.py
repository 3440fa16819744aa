"""`python -m vdm_sandbox`: the same as the `vdm-sandbox` command."""

import sys

from .cli import main

sys.exit(main())
