#!/usr/bin/python3
"""Generate a benchmark trajectory with OpenMM 7.7 (CPU platform) for scripts/bench/codec.ts.

Usage: /usr/bin/python3 codec_generate.py --system S.xml --state ST.xml --pdb P.pdb [--integrator I.xml]
           --interval K --frames F --out DIR

Writes into DIR: positions.f32 (F x N x 3 float32, nm), boxes.f64 (F x 9), meta.json
({atoms, frames, interval, stepSizePs, steps, timesPs, xtcWriteSeconds, xtcReadSeconds}),
mdtraj.xtc (mdtraj's XTCTrajectoryFile, precision 1000) and openmm.dcd (OpenMM's DCDFile).
"""
import argparse, json, os, time
import numpy as np
import openmm as mm, openmm.app as app, openmm.unit as u
import mdtraj as md

p = argparse.ArgumentParser()
p.add_argument('--system', required=True); p.add_argument('--state', required=True); p.add_argument('--pdb', required=True)
p.add_argument('--integrator'); p.add_argument('--interval', type=int, required=True); p.add_argument('--frames', type=int, required=True)
p.add_argument('--out', required=True); p.add_argument('--seed', type=int, default=7)
a = p.parse_args()
system = mm.XmlSerializer.deserialize(open(a.system).read())
if a.integrator:
    integrator = mm.XmlSerializer.deserialize(open(a.integrator).read())
else:
    integrator = mm.LangevinMiddleIntegrator(300 * u.kelvin, 1 / u.picosecond, 0.002 * u.picoseconds)
if hasattr(integrator, 'setRandomNumberSeed'):
    integrator.setRandomNumberSeed(a.seed)
pdb = app.PDBFile(a.pdb)
sim = app.Simulation(pdb.topology, system, integrator, mm.Platform.getPlatformByName('CPU'))
sim.context.setState(mm.XmlSerializer.deserialize(open(a.state).read()))
sim.context.setVelocitiesToTemperature(300 * u.kelvin, a.seed)
n = system.getNumParticles()
xyz = np.zeros((a.frames, n, 3), dtype=np.float32)
boxes = np.zeros((a.frames, 3, 3), dtype=np.float64)
steps, times = [], []
os.makedirs(a.out, exist_ok=True)
dt = integrator.getStepSize()
with open(os.path.join(a.out, 'openmm.dcd'), 'wb') as dcd_file:
    dcd = app.DCDFile(dcd_file, pdb.topology, dt, a.interval, a.interval)
    for f in range(a.frames):
        sim.step(a.interval)
        s = sim.context.getState(getPositions=True)
        pos = s.getPositions(asNumpy=True)
        xyz[f] = pos.value_in_unit(u.nanometer)
        box = s.getPeriodicBoxVectors()
        boxes[f] = s.getPeriodicBoxVectors(asNumpy=True).value_in_unit(u.nanometer)
        dcd.writeModel(pos, periodicBoxVectors=box)
        steps.append(int(sim.currentStep)); times.append(float(s.getTime().value_in_unit(u.picosecond)))
xyz.tofile(os.path.join(a.out, 'positions.f32'))
boxes.reshape(a.frames, 9).tofile(os.path.join(a.out, 'boxes.f64'))
t0 = time.perf_counter()
with md.formats.XTCTrajectoryFile(os.path.join(a.out, 'mdtraj.xtc'), 'w') as f:
    f.write(xyz, time=np.array(times, dtype=np.float32), step=np.array(steps, dtype=np.int32), box=boxes.astype(np.float32))
t1 = time.perf_counter()
with md.formats.XTCTrajectoryFile(os.path.join(a.out, 'mdtraj.xtc')) as f:
    f.read()
t2 = time.perf_counter()
json.dump({'atoms': n, 'frames': a.frames, 'interval': a.interval, 'stepSizePs': float(dt.value_in_unit(u.picosecond)),
           'steps': steps, 'timesPs': times, 'xtcWriteSeconds': t1 - t0, 'xtcReadSeconds': t2 - t1},
          open(os.path.join(a.out, 'meta.json'), 'w'))
