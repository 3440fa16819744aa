"""The benchmark must not rot: `bench/run.py --smoke` runs every part briefly and prints
their figures, and the parsers it counts with read the logs as the servers write them."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from helpers import run_smoke
from tools import redis_server, require

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.logs import (  # noqa: E402
    Refresh,
    catalogue_waits,
    on_sale,
    pages_on_sale,
    refreshes,
    rounds,
    vdm_calls,
)


def wrk() -> str:
    return require(shutil.which("wrk"), "wrk", "apt-get install wrk")


def test_smoke_run_prints_every_part(tmp_path):
    wrk()
    redis_server()
    out = run_smoke("bench/run.py", 150, tmp_path)
    for figure in (
        # classic
        "=== classic", "bare Flask page", "programme, new visitor", "order page: ", "peak memory per shop worker",
        "zero waits (classic)", "p99/bare", "performance ≥ 50% of the bare page's req/s, p99 ≤ 2× its p99",
        "classic: peak memory per shop worker < 100 MB",
        # scale: cold start, refresh, the side-by-side table and its ratio
        "=== scale", "cold start on the large venue: prices after", "full refresh of", "p99(large)/p99(demo)",
        "performance  /performances/101",
        # cluster: calls per round against the expected number
        "=== cluster", "expected VdM calls per refresh: 1 +", "cold start", "zero waits (cluster)",
        "VdM calls per refresh = 1 + on sale + 1",
        "=== targets ===",
    ):
        assert figure in out, f"{figure!r} missing from:\n{out}"
    assert "could not run" not in out


# --- the parsers, on lines as the servers write them ----------------------------------------

SHOP_LOG = """\
[2026-11-27 18:15:01 +0000] [10] [INFO] Booting worker with pid: 10
INFO:shop.infra.snapshot:catalogue: 150 shows, 410 prices loaded in 3.71 s
{"time":"2026-11-27T18:15:02.000+00:00","method":"GET","path":"/","status":200,"ms":9.1,"vdm_calls":0,"vdm_ms":0.0,"client":"127.0.0.0"}
{"time":"2026-11-27T18:15:02.500+00:00","method":"GET","path":"/performances/101","status":200,"ms":60,"vdm_calls":1,"vdm_ms":50,"client":"127.0.0.0"}
{"time":"2026-11-27T18:15:04.000+00:00","method":"GET","path":"/shows/100","status":200,"ms":5,"vdm_calls":0,"vdm_ms":0.0,"client":"127.0.0.0"}
{"time":"2026-11-27T18:15:04.100+00:00","method":"GET","path":"/performances/101","status":200,"ms":60,"vdm_calls":2,"vdm_ms":90,"client":"127.0.0.0"}
{"time":"2026-11-27T18:15:04.200+00:00","method":"GET","path":"/cart/","status":200,"ms":60,"vdm_calls":1,"vdm_ms":50,"client":"127.0.0.0"}
{"time":"2026-11-27T18:15:04.300+00:00","method":"POST","path":"/performances/101","status":303,"ms":60,"vdm_calls":2,"vdm_ms":90,"client":"127.0.0.0"}
INFO:shop.infra.snapshot:catalogue: 150 shows, 409 prices loaded in 2.50 s
"""


def test_refresh_lines():
    assert refreshes(SHOP_LOG) == [Refresh(150, 410, 3.71), Refresh(150, 409, 2.5)]


def test_catalogue_waits_count_only_catalogue_gets_after_the_first_snapshot():
    waits = catalogue_waits(SHOP_LOG, datetime(2026, 11, 27, 18, 15, 3, tzinfo=timezone.utc))
    assert (waits.after, waits.after_waiting, waits.before, waits.before_waiting) == (2, 1, 2, 1)
    assert waits.examples[0]["path"] == "/performances/101" and waits.examples[0]["vdm_calls"] == 2


ACCESS_LOG = """\
127.0.0.1 - - [27/Nov/2026:18:15:00 +0000] "GET /v1/bench/events/upcoming HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:01 +0000] "GET /v1/demo/events/upcoming HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:01 +0000] "GET /v1/demo/tickettypes/11 HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:01 +0000] "GET /v1/demo/tickettypes/12 HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:02 +0000] "GET /v1/demo/paymentmethods HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:02 +0000] "GET /v1/demo/locations HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:02 +0000] "GET /v1/demo/eventtypes HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:03 +0000] "GET /v1/demo/cart/abc HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:25 +0000] "GET /v1/demo/events/upcoming HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:25 +0000] "GET /v1/demo/tickettypes/11 HTTP/1.1" 200 100 "-" "python-requests"
127.0.0.1 - - [27/Nov/2026:18:15:26 +0000] "GET /v1/demo/paymentmethods HTTP/1.1" 200 100 "-" "python-requests"
"""


def test_vdm_calls_by_kind_and_round():
    calls = vdm_calls(ACCESS_LOG)
    assert len(calls) == 10  # the benchmark's own question (client "bench") is not the shop's
    found, outside = rounds(calls)
    assert [r.total for r in found] == [6, 3]
    assert found[0].counts == Counter({"events/upcoming": 1, "tickettypes": 2, "paymentmethods": 1,
                                       "locations": 1, "eventtypes": 1})
    assert found[1].start == datetime(2026, 11, 27, 18, 15, 25, tzinfo=timezone.utc)
    assert outside == Counter({"other": 1})  # the cart


def test_performances_on_sale_as_the_refresher_counts_them():
    at = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    day = (at + timedelta(days=1)).date().isoformat()

    def sub(event_id, status="pub", free=10, date=day, time="20:00:00"):
        return {"event_id": event_id, "event_status": status, "event_free": free, "event_date": date,
                "event_time": time}

    upcoming = json.loads(json.dumps([
        {"event_id": 100, "sub_events": [sub(101), sub(102, free=0), sub(103, status="nosal")]},
        # 12:00 UTC is 13:00 in the venue's time: 14:30 is still to come, 12:30 is past
        {"event_id": 200, "sub_events": [sub(201, date=at.date().isoformat(), time="14:30:00"),
                                         sub(202, date=at.date().isoformat(), time="12:30:00")]},
        {"event_id": 400, "sub_events": []},
    ]))
    assert on_sale(upcoming, at) == 2
    assert pages_on_sale(upcoming, at, 5) == ([100, 200], [101, 201])
    assert pages_on_sale(upcoming, at, 1) == ([100], [101])
