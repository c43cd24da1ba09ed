"""Client side of the Celery + OpenMM ensemble benchmark. Prints one JSON
line: {"groupSeconds", "units", "frames", "taskSeconds": [...]}. Run with
/usr/bin/python3 from this folder, with MDSWARM_BENCH_REDIS_URL set and
workers running.

Usage: ensemble_client.py UNITS STEPS REPORT_EVERY WORKERS PLATFORM EXAMPLE_DIR"""
import json
import os
import sys
import time

from celery import group

from openmm_tasks import app, openmm_segment


def wait_for_workers(count, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    replies = []
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if len(replies) >= count:
            return
    raise SystemExit(f"only {len(replies)} of {count} Celery workers answered within {timeout_s} s")


def main():
    units, steps, report_every, workers = (int(x) for x in sys.argv[1:5])
    platform, example = sys.argv[5], sys.argv[6]
    read = lambda name: open(os.path.join(example, name)).read()  # noqa: E731
    system_xml, integrator_xml, state_xml = read("system.xml"), read("integrator.xml"), read("state.xml")
    wait_for_workers(workers)
    # Warm-up: one short segment per worker (imports OpenMM in the worker, connections, result subscriptions).
    group(openmm_segment.s(system_xml, integrator_xml, state_xml, report_every, report_every, 1 + i, platform)
          for i in range(2 * workers))().get(timeout=300)

    started = time.perf_counter()
    results = group(openmm_segment.s(system_xml, integrator_xml, state_xml, steps, report_every, 1000 + i, platform)
                    for i in range(units))().get(timeout=3600)
    group_seconds = time.perf_counter() - started
    frames = sum(r["frames"] for r in results)
    print(json.dumps({"groupSeconds": group_seconds, "units": units, "frames": frames,
                      "taskSeconds": [r["seconds"] for r in results]}))


if __name__ == "__main__":
    main()
