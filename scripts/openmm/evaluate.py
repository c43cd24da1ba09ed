#!/usr/bin/python3
"""Energy and forces of one configuration with OpenMM, as JSON on stdout (same shape as test/fixtures/*/reference.json).

Usage:
  /usr/bin/python3 scripts/openmm/evaluate.py --system S.xml (--pdb P.pdb | --state ST.xml)
      [--platform Reference|CPU] [--groups-per-force] [--forces-by-group]

Positions: from --state when given, else from the PDB. Box: the state's, else the PDB's CRYST1, else the
system's default box. --groups-per-force puts force k into group k first (otherwise the system's own groups
are used). Output: {"platform", "openmmVersion", "particleCount", "potentialEnergy" (kJ/mol),
"groups": {"g": kJ/mol}, "forceGroups": {"<ForceType>[#k]": g}, "forces": [[fx,fy,fz],...] (kJ/mol/nm)}
and, with --forces-by-group, "forcesByGroup". Errors: message on stderr, exit status 2.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openmm as mm  # noqa: E402
import openmm.app as app  # noqa: E402
from omm_common import (  # noqa: E402
    assign_group_per_force, evaluate_context, fail, force_group_labels, make_context, read_state, read_system,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Evaluate energy and forces with OpenMM and print JSON.")
    parser.add_argument("--system", required=True, help="OpenMM System XML (XmlSerializer)")
    parser.add_argument("--pdb", help="PDB with the positions (and CRYST1 box)")
    parser.add_argument("--state", help="OpenMM State XML with positions (and box); wins over --pdb")
    parser.add_argument("--platform", default="Reference", choices=["Reference", "CPU"])
    parser.add_argument("--groups-per-force", action="store_true", help="put force k into force group k first")
    parser.add_argument("--forces-by-group", action="store_true", help="also report forces of each group")
    args = parser.parse_args(argv)
    if not args.pdb and not args.state:
        parser.error("give --pdb or --state for the positions")
    return args


def load_configuration(args, system):
    """(positions, box or None) following: state > PDB, box: state > PDB CRYST1 > system default."""
    box = None
    positions = None
    if args.pdb:
        pdb = app.PDBFile(args.pdb)
        positions = pdb.positions
        box = pdb.topology.getPeriodicBoxVectors()
    if args.state:
        state = read_state(args.state)
        positions = state.getPositions()
        box = state.getPeriodicBoxVectors()
    if len(positions) != system.getNumParticles():
        raise ValueError(f"the system has {system.getNumParticles()} particles but the positions have {len(positions)}")
    if box is None and system.usesPeriodicBoundaryConditions():
        box = system.getDefaultPeriodicBoxVectors()
    return positions, box


def main(argv):
    args = parse_args(argv)
    try:
        system = read_system(args.system)
        if not isinstance(system, mm.System):
            raise ValueError(f"{args.system} does not hold an OpenMM System")
        if args.groups_per_force:
            assign_group_per_force(system)
        positions, box = load_configuration(args, system)
        context = make_context(system, mm.VerletIntegrator(0.001), args.platform)
        if box is not None:
            context.setPeriodicBoxVectors(*box)
        context.setPositions(positions)
        evaluated = evaluate_context(context, system, per_group_forces=args.forces_by_group)
    except Exception as error:  # OpenMM raises plain Exceptions; report them for the user
        fail(f"{type(error).__name__}: {error}")
    result = {
        "platform": args.platform,
        "openmmVersion": mm.__version__,
        "particleCount": system.getNumParticles(),
        "potentialEnergy": evaluated["potentialEnergy"],
        "groups": evaluated["groups"],
        "forceGroups": force_group_labels(system),
        "forces": evaluated["forces"],
    }
    if "forcesByGroup" in evaluated:
        result["forcesByGroup"] = evaluated["forcesByGroup"]
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
