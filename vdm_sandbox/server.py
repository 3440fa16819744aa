"""Serving a WSGI app with werkzeug's threaded server.

`serve_in_thread` runs one on a loopback port in a background thread: the shop runs its
built-in sandbox beside itself that way, so that its client reaches the sandbox over real
HTTP whatever server runs the shop (a single threaded `flask run` or many gunicorn workers,
each with its own thread). The tests use it for live servers on free ports. `vdm-sandbox`
(cli.py) serves in the foreground with the same server.
"""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, make_server


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"serve-{server.server_port}", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
