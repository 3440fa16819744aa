"""CPU time per page, in-process: what one request costs the shop itself, without the network,
wrk, gunicorn or the other processes on the machine (process time, so other load on the
machine barely changes it).

    python bench/cpu.py [--requests 300] [--venue large]

Builds the shop with its built-in sandbox twice, on the demo venue and on the large one,
waits for the catalogue snapshot and asks each page with Flask's test client as a visitor
with a session, in memory (no Redis). Prints milliseconds of CPU per request.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

for name in list(os.environ):  # a developer's own settings must not change the figures
    if name.startswith(("VDM_", "SHOP_", "SANDBOX_")):
        del os.environ[name]


def shop(catalogue: str | None, folder: str):
    from shop import create_app

    if catalogue:
        os.environ["SANDBOX_CATALOGUE"] = catalogue
    else:
        os.environ.pop("SANDBOX_CATALOGUE", None)
    app = create_app({"SHOP_SECRET_KEY": "bench-" + "x" * 40}, instance_path=folder)
    client = app.test_client()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the complete snapshot: the programme shows prices
        page = client.get("/", headers={"Accept-Language": "en"})
        if page.status_code == 200 and "from €" in page.get_data(as_text=True):
            snapshot = app.extensions["box_office"].catalogue.current()
            if snapshot is not None and snapshot.complete:
                return app, client, snapshot
        time.sleep(0.1)
    raise SystemExit(f"no prices on the programme of {catalogue or 'the demo venue'} within 60 s")


def cpu_ms(client, path: str, requests: int) -> float:
    for _ in range(20):
        assert client.get(path).status_code == 200, path
    started = time.process_time()
    for _ in range(requests):
        client.get(path)
    return (time.process_time() - started) / requests * 1000


def measure(catalogue: str | None, requests: int) -> tuple[int, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="vdm-bench-cpu-") as folder:
        app, client, snapshot = shop(catalogue, folder)
        selling = [(e.id, p.id) for e in snapshot.events for p in e.performances if p.id in snapshot.ticket_types]
        show, performance = (100, 101) if catalogue is None else selling[0]
        pages = {"/healthz (every request's own cost)": "/healthz", "programme": "/", "show": f"/shows/{show}",
                 "performance": f"/performances/{performance}"}
        figures = {name: cpu_ms(client, path, requests) for name, path in pages.items()}
        app.extensions["box_office"].catalogue.stop()
        return sum(len(e.performances) for e in snapshot.events), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--venue", default="large", help="the large venue: large or large:<shows>")
    args = parser.parse_args()
    logging.getLogger("shop.requests").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from bench.bare import app as bare

    figures = {"bare Flask page": (cpu_ms(bare.test_client(), "/", args.requests),) * 2}
    small_size, small = measure(None, args.requests)
    large_size, large = measure(args.venue, args.requests)
    figures.update({name: (small[name], large[name]) for name in small})
    print(f"\nms of CPU per request, in-process, {args.requests} requests each")
    print(f"{'page':<36} {f'{small_size} perf.':>10} {f'{large_size} perf.':>10} {'ratio':>6}")
    for name, (a, b) in figures.items():
        print(f"{name:<36} {a:>10.2f} {b:>10.2f} {b / a:>6.2f}")


if __name__ == "__main__":
    main()
