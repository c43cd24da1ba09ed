#!/usr/bin/env python3
"""Energy and force agreement of OpenMM's platforms with Reference, from one system.xml + state.xml.

    python force_compare.py FOLDER [FOLDER ...]

For each folder (system.xml, state.xml): potential energy (kJ/mol) and forces (kJ/mol/nm) on
Reference (double precision), CPU, and OpenCL in single, mixed and double precision where it
exists; prints the relative energy difference and the force error: max and RMS of |F - F_ref|
over atoms, divided by the RMS of |F_ref|. Platforms that fail print their message.
"""
import sys
import time

try:
    import openmm as mm
except ImportError:
    from simtk import openmm as mm

import numpy as np


def evaluate(system_xml, state, platform_name, properties):
    system = mm.XmlSerializer.deserialize(system_xml)
    platform = mm.Platform.getPlatformByName(platform_name)
    started = time.perf_counter()
    context = mm.Context(system, mm.VerletIntegrator(0.001), platform, properties)
    context.setState(state)
    result = context.getState(getEnergy=True, getForces=True)
    seconds = time.perf_counter() - started
    energy = result.getPotentialEnergy().value_in_unit(mm.unit.kilojoule_per_mole)
    forces = np.asarray(result.getForces(asNumpy=True).value_in_unit(mm.unit.kilojoule_per_mole / mm.unit.nanometer))
    return energy, forces, seconds


def main(folders):
    names = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
    configs = [("Reference", {}), ("CPU", {})]
    for gpu in ("CUDA", "OpenCL"):
        if gpu in names:
            key = "CudaPrecision" if gpu == "CUDA" else "Precision"
            configs += [(gpu, {key: p}) for p in ("single", "mixed", "double")]
    print(f"OpenMM {mm.version.version}, platforms {names}")
    for folder in folders:
        with open(f"{folder}/system.xml") as f:
            system_xml = f.read()
        with open(f"{folder}/state.xml") as f:
            state = mm.XmlSerializer.deserialize(f.read())
        print(f"-- {folder} ({mm.XmlSerializer.deserialize(system_xml).getNumParticles()} atoms)")
        reference = None
        for name, properties in configs:
            label = f"{name} {'/'.join(properties.values())}".strip()
            try:
                energy, forces, seconds = evaluate(system_xml, state, name, properties)
            except Exception as error:  # a platform without its device, or a compile failure
                print(f"{label:16s} FAILED {type(error).__name__}: {error}")
                continue
            if reference is None:
                reference = (energy, forces)
                print(f"{label:16s} E_pot {energy:.4f} kJ/mol  (context + first evaluation {seconds:.2f} s)")
                continue
            ref_energy, ref_forces = reference
            diff = np.linalg.norm(forces - ref_forces, axis=1)
            scale = np.sqrt(np.mean(np.sum(ref_forces ** 2, axis=1)))
            print(f"{label:16s} E_pot {energy:.4f} kJ/mol  dE/|E_ref| {abs(energy - ref_energy) / abs(ref_energy):.2e}  "
                  f"force err max {diff.max() / scale:.2e} rms {np.sqrt(np.mean(diff ** 2)) / scale:.2e} (of RMS |F_ref| {scale:.0f})  "
                  f"(context + first evaluation {seconds:.2f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
