"""Client side of the Celery dispatch benchmark. Prints one JSON line:
{"groupSeconds", "units", "roundTripMs": [...]}. Run with /usr/bin/python3
from this folder, with MDSWARM_BENCH_REDIS_URL set and workers running."""
import json
import sys
import time

from celery import group

from bench_tasks import app, noop


def wait_for_workers(count, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if len(replies) >= count:
            return
    raise SystemExit(f"only {len(replies)} of {count} Celery workers answered within {timeout_s} s")


def main():
    units = int(sys.argv[1])
    round_trips = int(sys.argv[2])
    workers = int(sys.argv[3])
    wait_for_workers(workers)
    # Warm-up: connections, worker pools, result subscriptions.
    group(noop.s(i) for i in range(20))().get(timeout=60)

    started = time.perf_counter()
    results = group(noop.s(i) for i in range(units))().get(timeout=600)
    group_seconds = time.perf_counter() - started
    assert sorted(results) == list(range(units))

    round_trip_ms = []
    for i in range(round_trips):
        t0 = time.perf_counter()
        assert noop.delay(i).get(timeout=30) == i
        round_trip_ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"groupSeconds": group_seconds, "units": units, "roundTripMs": round_trip_ms}))


if __name__ == "__main__":
    main()
