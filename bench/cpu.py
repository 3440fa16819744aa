"""CPU time per page, in-process: what one request costs the shop itself, without the network,
wrk, gunicorn or the other processes on the machine (process time, so other load on the
machine barely changes it).

    python bench/cpu.py [--requests 100] [--rounds 5] [--venue large]

Builds the shop with its built-in sandbox twice, on the demo venue and on the large one,
waits for the catalogue snapshot and asks each page with Flask's test client as a visitor
with a session, in memory (no Redis), the two venues in turn. Prints milliseconds of CPU per
request.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
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
    started = time.process_time()
    for _ in range(requests):
        client.get(path)
    return (time.process_time() - started) / requests * 1000


def venue(catalogue: str | None, folder: str) -> dict:
    app, client, snapshot = shop(catalogue, folder)
    selling = [(e.id, p.id) for e in snapshot.events for p in e.performances if p.id in snapshot.ticket_types]
    show, performance = (100, 101) if catalogue is None else selling[0]
    pages = {"/healthz (every request's own cost)": "/healthz", "programme": "/", "show": f"/shows/{show}",
             "performance": f"/performances/{performance}"}
    for path in pages.values():
        for _ in range(20):  # warm up
            assert client.get(path).status_code == 200, path
    return {"app": app, "client": client, "pages": pages,
            "performances": sum(len(e.performances) for e in snapshot.events)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="requests per page in each round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, the venues in turn; the median counts")
    parser.add_argument("--venue", default="large", help="the large venue: large or large:<shows>")
    args = parser.parse_args()
    logging.getLogger("shop.requests").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from bench.bare import app as bare

    with tempfile.TemporaryDirectory(prefix="vdm-bench-cpu-") as small_folder, \
            tempfile.TemporaryDirectory(prefix="vdm-bench-cpu-") as large_folder:
        small, large = venue(None, small_folder), venue(args.venue, large_folder)
        bare_client = bare.test_client()
        rows: dict[str, tuple[list[float], list[float]]] = {"bare Flask page": ([], [])}
        rows.update({name: ([], []) for name in small["pages"]})
        # In turn, page by page and round by round, so that a change in the machine's speed
        # does not end up as a difference between the venues.
        for _ in range(args.rounds):
            for name, (a, b) in rows.items():
                if name == "bare Flask page":
                    a.append(cpu_ms(bare_client, "/", args.requests))
                    b.append(a[-1])
                    continue
                a.append(cpu_ms(small["client"], small["pages"][name], args.requests))
                b.append(cpu_ms(large["client"], large["pages"][name], args.requests))
        for v in (small, large):
            v["app"].extensions["box_office"].catalogue.stop()

    print(f"\nms of CPU per request, in-process, the median of {args.rounds} rounds of {args.requests} requests")
    print(f"{'page':<36} {str(small['performances']) + ' perf.':>10} {str(large['performances']) + ' perf.':>10} "
          f"{'ratio':>6}")
    for name, (a, b) in rows.items():
        a_ms, b_ms = statistics.median(a), statistics.median(b)
        print(f"{name:<36} {a_ms:>10.2f} {b_ms:>10.2f} {b_ms / a_ms:>6.2f}")


if __name__ == "__main__":
    main()
