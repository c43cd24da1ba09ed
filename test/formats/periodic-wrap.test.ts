import test from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSystemXml } from '../../src/engine/xml/system-xml.ts'
import { parseStateXml } from '../../src/engine/xml/state-xml.ts'
import { MoleculeWrapper } from '../../src/formats/periodic-wrap.ts'
import { pythonHasModule, runPythonJson } from './debian-python.ts'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
const hasOpenMM = pythonHasModule('openmm')

/** OpenMM's getState(enforcePeriodicBox=True) on the given positions. */
const PYTHON_ENFORCE_PERIODIC_BOX = String.raw`
import sys, json
import openmm as mm
from openmm import Vec3
d = json.load(sys.stdin)
system = mm.XmlSerializer.deserialize(open(d['system']).read())
context = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName('Reference'))
b = d['box']
context.setPeriodicBoxVectors(Vec3(*b[0:3]), Vec3(*b[3:6]), Vec3(*b[6:9]))
p = d['positions']
context.setPositions([Vec3(*p[3*i:3*i+3]) for i in range(system.getNumParticles())])
state = context.getState(getPositions=True, enforcePeriodicBox=True)
print(json.dumps({'positions': state.getPositions(asNumpy=True)._value.ravel().tolist()}))
`

for (const name of ['water-box-rigid', 'ala2-tip3p-rf-triclinic']) {
  test(`molecules are wrapped into the box exactly as OpenMM's enforcePeriodicBox does (${name})`, (t) => {
    if (!hasOpenMM) return t.pass('skipped: /usr/bin/python3 cannot import openmm')
    const systemPath = path.join(FIXTURES, name, 'system.xml')
    const system = parseSystemXml(fs.readFileSync(systemPath, 'utf8'))
    const state = parseStateXml(fs.readFileSync(path.join(FIXTURES, name, 'state.xml'), 'utf8'))
    const box = state.box
    if (box === null) return t.fail('fixture has no box')
    const wrapper = new MoleculeWrapper(system)
    t.true(wrapper.moleculeCount > 100)
    // Scatter molecules over neighbouring images so that wrapping has work to do.
    const scattered = Float64Array.from(state.positionsNm)
    for (let m = 0; m < wrapper.moleculeCount; m++) {
      const shift = [(m % 5) - 2, ((m >> 2) % 3) - 1, ((m >> 4) % 5) - 2]
      for (let k = wrapper.moleculeStart[m]; k < wrapper.moleculeStart[m + 1]; k++) {
        const i = 3 * wrapper.particles[k]
        for (let axis = 0; axis < 3; axis++) scattered[i + axis] += shift[0] * box[axis] + shift[1] * box[3 + axis] + shift[2] * box[6 + axis]
      }
    }
    const ours = wrapper.wrap(scattered, box, new Float64Array(scattered.length))
    const theirs = runPythonJson<{ positions: number[] }>(PYTHON_ENFORCE_PERIODIC_BOX, { system: systemPath, box: Array.from(box), positions: Array.from(scattered) }).positions
    let worst = 0
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]))
    t.true(worst < 1e-9, `largest difference from OpenMM ${worst} nm`)
  })
}
