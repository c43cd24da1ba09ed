#!/usr/bin/python3
"""Run OpenMM dynamics and write the reported frames as JSON (to compare trajectories with the builtin engine).

Usage:
  /usr/bin/python3 scripts/openmm/run.py --system S.xml --integrator I.xml (--pdb P.pdb | --state ST.xml)
      --steps N --report-every K [--platform Reference|CPU] [--threads T] [--seed S] --out frames.json

Start: positions (and velocities, box) from --state when given, else positions from the PDB (box from CRYST1,
else the system default). Without velocities in the state: Maxwell-Boltzmann at the integrator's temperature
for Langevin integrators (seeded with --seed), zero for Verlet. --seed also sets the integrator's random seed.
A frame is written after every step that is a multiple of K (the initial state is "initial").
CPU platform: DeterministicForces=true always; --threads sets its Threads property. Give --threads 1 for a
bit-reproducible run: with several threads OpenMM 7.7's CPU platform can differ in the last bits (~1e-10 nm
after 60 steps of alanine dipeptide) from run to run when the machine is busy, DeterministicForces or not.
Output: {"platform", "properties" (the context's platform properties), "openmmVersion", "steps", "reportEvery",
"stepSizePs", "initial": FRAME, "frames": [FRAME]},
FRAME = {"step", "timePs", "positions" (nm), "potentialEnergy", "kineticEnergy" (kJ/mol), "boxVectorsNm"?}.
Errors: message on stderr, exit status 2.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openmm as mm  # noqa: E402
import openmm.app as app  # noqa: E402
import openmm.unit as unit  # noqa: E402
from omm_common import (  # noqa: E402
    KJ, NM, box_rows, fail, make_context, read_integrator, read_state, read_system, vec3_rows,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run OpenMM dynamics and write frames as JSON.")
    parser.add_argument("--system", required=True)
    parser.add_argument("--integrator", required=True)
    parser.add_argument("--pdb")
    parser.add_argument("--state")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--report-every", type=int, required=True)
    parser.add_argument("--platform", default="Reference", choices=["Reference", "CPU"])
    parser.add_argument("--threads", type=int, default=None, help="CPU platform threads (default: OpenMM's choice)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if not args.pdb and not args.state:
        parser.error("give --pdb or --state for the starting positions")
    if args.threads is not None and (args.threads < 1 or args.platform != "CPU"):
        parser.error("--threads needs --platform CPU and a count >= 1")
    if args.steps < 0 or args.report_every <= 0:
        parser.error("--steps must be >= 0 and --report-every > 0")
    return args


def frame(context, step, periodic):
    s = context.getState(getPositions=True, getEnergy=True)
    result = {
        "step": step,
        "timePs": float(s.getTime().value_in_unit(unit.picosecond)),
        "potentialEnergy": float(s.getPotentialEnergy().value_in_unit(KJ)),
        "kineticEnergy": float(s.getKineticEnergy().value_in_unit(KJ)),
        "positions": vec3_rows(s.getPositions(), NM),
    }
    if periodic:
        result["boxVectorsNm"] = box_rows(s.getPeriodicBoxVectors())
    return result


def integrator_temperature(integrator):
    if hasattr(integrator, "getTemperature"):
        return integrator.getTemperature()
    return None


def main(argv):
    args = parse_args(argv)
    try:
        system = read_system(args.system)
        integrator = read_integrator(args.integrator)
        if not isinstance(system, mm.System):
            raise ValueError(f"{args.system} does not hold an OpenMM System")
        if not isinstance(integrator, mm.Integrator):
            raise ValueError(f"{args.integrator} does not hold an OpenMM Integrator")
        if args.seed is not None and hasattr(integrator, "setRandomNumberSeed"):
            integrator.setRandomNumberSeed(args.seed)
        context = make_context(system, integrator, args.platform, args.threads)
        platform = context.getPlatform()
        properties = {name: platform.getPropertyValue(context, name) for name in platform.getPropertyNames()}
        has_velocities = False
        if args.state:
            state = read_state(args.state)
            if state.getPositions().__len__() != system.getNumParticles():
                raise ValueError("the state's particle count does not match the system")
            context.setState(state)
            try:
                state.getVelocities()
                has_velocities = True
            except Exception:
                has_velocities = False
        else:
            pdb = app.PDBFile(args.pdb)
            if len(pdb.positions) != system.getNumParticles():
                raise ValueError(f"the system has {system.getNumParticles()} particles but the PDB has {len(pdb.positions)}")
            box = pdb.topology.getPeriodicBoxVectors()
            if box is not None:
                context.setPeriodicBoxVectors(*box)
            context.setPositions(pdb.positions)
        temperature = integrator_temperature(integrator)
        if not has_velocities and temperature is not None:
            context.setVelocitiesToTemperature(temperature, args.seed if args.seed is not None else 1)
        periodic = system.usesPeriodicBoundaryConditions()
        initial = frame(context, 0, periodic)
        frames = []
        done = 0
        while done < args.steps:
            block = min(args.report_every - done % args.report_every, args.steps - done)
            integrator.step(block)
            done += block
            if done % args.report_every == 0:
                frames.append(frame(context, done, periodic))
    except Exception as error:
        fail(f"{type(error).__name__}: {error}")
    with open(args.out, "w") as f:
        json.dump({
            "platform": args.platform,
            "properties": properties,
            "openmmVersion": mm.__version__,
            "steps": args.steps,
            "reportEvery": args.report_every,
            "stepSizePs": float(integrator.getStepSize().value_in_unit(unit.picosecond)),
            "initial": initial,
            "frames": frames,
        }, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
