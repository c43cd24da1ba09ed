"""Shared OpenMM helpers for the fixture generator and the live-comparison scripts.

Run everything with Debian's interpreter, ``/usr/bin/python3`` (OpenMM 7.7).
Units are OpenMM's MD units: nm, ps, amu, kJ/mol, kJ/mol/nm, K.
"""

import io
import json
import sys

import openmm as mm
import openmm.app as app
import openmm.unit as unit

NM = unit.nanometer
KJ = unit.kilojoule_per_mole
FORCE_UNIT = unit.kilojoule_per_mole / unit.nanometer


def fail(message, code=2):
    """Print a message for the user on stderr and exit non-zero."""
    sys.stderr.write(f"error: {message}\n")
    sys.exit(code)


def assign_group_per_force(system):
    """Put force k into force group k (OpenMM allows 32 groups)."""
    if system.getNumForces() > 32:
        raise ValueError(f"system has {system.getNumForces()} forces; at most 32 can each get their own group")
    for k in range(system.getNumForces()):
        system.getForce(k).setForceGroup(k)


def force_group_labels(system):
    """{'<ForceType>': group} or, where a type occurs more than once, {'<ForceType>#k': group} (k = 0,1,... in force order)."""
    names = [system.getForce(k).__class__.__name__ for k in range(system.getNumForces())]
    seen = {}
    labels = {}
    for k, name in enumerate(names):
        occurrence = seen.get(name, 0)
        seen[name] = occurrence + 1
        label = name if names.count(name) == 1 else f"{name}#{occurrence}"
        labels[label] = system.getForce(k).getForceGroup()
    return labels


def make_platform(name, threads=None):
    """(platform, properties) for 'Reference' or 'CPU'. CPU forces are made deterministic
    (DeterministicForces=true); threads=1 also makes minimization reproducible."""
    try:
        platform = mm.Platform.getPlatformByName(name)
    except Exception:
        available = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
        raise ValueError(f"OpenMM platform '{name}' is not available here (available: {', '.join(available)})")
    properties = {}
    if name == "CPU":
        properties["DeterministicForces"] = "true"
        if threads is not None:
            properties["Threads"] = str(threads)
    return platform, properties


def make_context(system, integrator, platform_name, threads=None):
    platform, properties = make_platform(platform_name, threads)
    return mm.Context(system, integrator, platform, properties)


def vec3_rows(quantity, in_unit):
    """Nested lists [[x,y,z],...] of plain floats in `in_unit`."""
    values = quantity.value_in_unit(in_unit)
    return [[float(v[0]), float(v[1]), float(v[2])] for v in values]


def used_groups(system):
    groups = set()
    for k in range(system.getNumForces()):
        force = system.getForce(k)
        groups.add(force.getForceGroup())
        # NonbondedForce may put its reciprocal-space part in a group of its own
        if isinstance(force, mm.NonbondedForce) and force.getReciprocalSpaceForceGroup() >= 0:
            groups.add(force.getReciprocalSpaceForceGroup())
    return sorted(groups)


def evaluate_context(context, system, per_group_forces=False):
    """Energies and forces of the context's current positions.

    Returns {'potentialEnergy', 'groups': {'g': kJ/mol}, 'forces': [[...]]} and,
    when per_group_forces, 'forcesByGroup': {'g': [[...]]}.
    """
    total = context.getState(getEnergy=True, getForces=True)
    result = {
        "potentialEnergy": float(total.getPotentialEnergy().value_in_unit(KJ)),
        "groups": {},
        "forces": vec3_rows(total.getForces(), FORCE_UNIT),
    }
    by_group = {}
    for g in used_groups(system):
        state = context.getState(getEnergy=True, getForces=per_group_forces, groups={g})
        result["groups"][str(g)] = float(state.getPotentialEnergy().value_in_unit(KJ))
        if per_group_forces:
            by_group[str(g)] = vec3_rows(state.getForces(), FORCE_UNIT)
    if per_group_forces:
        result["forcesByGroup"] = by_group
    return result


def box_rows(vectors):
    """Box vectors as [[ax,ay,az],[bx,by,bz],[cx,cy,cz]] in nm."""
    return [[float(c) for c in v.value_in_unit(NM)] for v in vectors]


def read_system(path):
    with open(path) as f:
        return mm.XmlSerializer.deserialize(f.read())


def read_state(path):
    with open(path) as f:
        return mm.XmlSerializer.deserialize(f.read())


def read_integrator(path):
    with open(path) as f:
        return mm.XmlSerializer.deserialize(f.read())


def write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def pdb_text(topology, positions):
    """PDBFile.writeFile output without OpenMM's dated REMARK line, so reruns are byte-identical."""
    buffer = io.StringIO()
    app.PDBFile.writeFile(topology, positions, buffer, keepIds=False)
    lines = [line for line in buffer.getvalue().splitlines() if not line.startswith("REMARK   1 CREATED WITH OPENMM")]
    return "\n".join(lines) + "\n"
