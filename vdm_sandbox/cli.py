"""`vdm-sandbox`: the sandbox on its own, for integrators.

    vdm-sandbox --port 5001 [--host 127.0.0.1] [--catalogue PATH|large|large:N] [--delay-ms N]

Serves the JSON API and the pages with werkzeug's threaded server and prints the base URL
to use instead of VdM's (`http://127.0.0.1:5001/v1/demo/`), and the key of its Peppered
endpoints (a sandbox's key guards nothing real). Every other setting is a SANDBOX_*
environment variable (settings.py); the options win over their variables.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from werkzeug.serving import make_server

from . import create_app
from .settings import API_KEY_FILE, SandboxSettings, SettingsError

VDM = "https://api.voordemensen.nl/v1/demo/"


def _shown_host(host: str) -> str:
    """The host to put in the printed URL: a wildcard address is reached on loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _key_source(env: dict[str, str], settings: SandboxSettings) -> str:
    if env.get("SANDBOX_API_KEY", "").strip():
        return "SANDBOX_API_KEY"
    return f"generated, kept in {os.path.join(settings.instance_path, API_KEY_FILE)}"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vdm-sandbox", description="A local stand-in for the VoordeMensen API and "
                                "its payment page. Other settings: the SANDBOX_* environment variables.")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5001, help="the port (default 5001; 0 takes any free port)")
    p.add_argument("--catalogue", metavar="PATH|large|large:N",
                   help="a catalogue JSON file, or a generated large venue (SANDBOX_CATALOGUE; default the demo venue)")
    p.add_argument("--delay-ms", metavar="N", help="a delay added to every API call (SANDBOX_DELAY_MS; default 0)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error(f"--port must be 0 to 65535, got {args.port}")
    options = {"SANDBOX_CATALOGUE": ("--catalogue", args.catalogue), "SANDBOX_DELAY_MS": ("--delay-ms", args.delay_ms)}
    env = dict(os.environ)
    env.update({variable: value for variable, (_, value) in options.items() if value is not None})
    try:
        settings = SandboxSettings.from_env(env)
        app = create_app(settings)
    except SettingsError as error:
        option, given = options.get(error.variable, (None, None))
        p.exit(2, f"vdm-sandbox: {option + ': ' if given is not None else ''}{error}\n")
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except OSError as error:
        p.exit(1, f"vdm-sandbox: cannot listen on {args.host} port {args.port}: {error.strerror or error}\n")

    url = f"http://{_shown_host(args.host)}:{server.server_port}/v1/demo/"
    print(f"VdM sandbox: {url}", flush=True)
    print(f"  use it in place of {VDM} (any client name works in place of demo)\n"
          f"  catalogue: {settings.catalogue or 'the demo venue'}; database: {settings.db}\n"
          f"  Peppered API key ({_key_source(env, settings)}): {settings.api_key}\n"
          "  Ctrl-C stops it.", flush=True)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
