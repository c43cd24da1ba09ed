#!/usr/bin/python3
"""The yardstick of scripts/bench/ensemble-openmm.ts: the cost of one unit's
own work (context creation, STEPS steps, a frame every REPORT_EVERY) in an
already running Python with OpenMM imported: what an ideal dispatcher would
spend per unit. Runs REPEATS units one after another; prints one JSON line
{"unitSeconds": [...]}.

Usage: /usr/bin/python3 openmm_unit_cost.py EXAMPLE_DIR STEPS REPORT_EVERY PLATFORM REPEATS"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "celery"))

from openmm_tasks import run_segment  # noqa: E402


def main():
    example, steps, report_every, platform, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    read = lambda name: open(os.path.join(example, name)).read()  # noqa: E731
    system_xml, integrator_xml, state_xml = read("system.xml"), read("integrator.xml"), read("state.xml")
    run_segment(system_xml, integrator_xml, state_xml, report_every, report_every, 1, platform)  # warm-up
    seconds = [run_segment(system_xml, integrator_xml, state_xml, steps, report_every, 100 + i, platform)["seconds"] for i in range(repeats)]
    print(json.dumps({"unitSeconds": seconds}))


if __name__ == "__main__":
    main()
