#!/usr/bin/python3
"""Time OpenMM dynamics for scripts/bench/engine.ts: steady-state ns/day, start-up apart.

Usage (Debian's interpreter, which has OpenMM 7.7):
  /usr/bin/python3 scripts/bench/openmm_engine.py --system S.xml --integrator I.xml --state ST.xml
      --platform Reference|CPU [--warmup-s 1] [--measure-s 3]

Prints one JSON object: {"platform", "openmmVersion", "threads", "particles", "startupS" (context creation
and the first step), "warmupSteps", "steps", "seconds", "nsPerDay", "stepSizePs"}.
Measures whole blocks of steps until --measure-s has passed, after --warmup-s of warm-up stepping.
"""

import argparse
import json
import sys
import time

import openmm as mm
import openmm.unit as unit


def read(path):
    with open(path) as f:
        return mm.XmlSerializer.deserialize(f.read())


def step_for(integrator, context, seconds, first_block):
    """Steps in growing blocks until `seconds` of wall time have passed; returns (steps, seconds)."""
    steps = 0
    block = first_block
    started = time.perf_counter()
    while True:
        integrator.step(block)
        context.getState(getEnergy=False)  # waits for the platform to finish
        steps += block
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return steps, elapsed
        block = max(1, min(4 * block, int(block * 0.25 * seconds / max(elapsed / steps * block, 1e-9))))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--system", required=True)
    parser.add_argument("--integrator", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--platform", required=True, choices=["Reference", "CPU"])
    parser.add_argument("--warmup-s", type=float, default=1.0)
    parser.add_argument("--measure-s", type=float, default=3.0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    system = read(args.system)
    integrator = read(args.integrator)
    state = read(args.state)
    platform = mm.Platform.getPlatformByName(args.platform)
    context = mm.Context(system, integrator, platform)
    context.setState(state)
    integrator.step(1)
    context.getState(getEnergy=False)
    startup = time.perf_counter() - started

    warmup_steps, _ = step_for(integrator, context, args.warmup_s, 1)
    steps, seconds = step_for(integrator, context, args.measure_s, max(1, warmup_steps // 4))
    step_size_ps = integrator.getStepSize().value_in_unit(unit.picosecond)
    threads = platform.getPropertyValue(context, "Threads") if args.platform == "CPU" else "1"
    print(json.dumps({
        "platform": args.platform,
        "openmmVersion": mm.__version__,
        "threads": threads,
        "particles": system.getNumParticles(),
        "startupS": startup,
        "warmupSteps": warmup_steps,
        "steps": steps,
        "seconds": seconds,
        "stepSizePs": step_size_ps,
        "nsPerDay": steps * step_size_ps / 1000 / (seconds / 86400),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
