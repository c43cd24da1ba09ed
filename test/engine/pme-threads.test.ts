/**
 * The Ewald/PME kernel with a helper thread (the direct-space pair loop in
 * chunks shared between two threads, the neighbour-list search split) gives
 * bit-for-bit the results of one thread: the chunks are fixed by the list
 * and summed in order, whoever computed them. Checked on the PME, LJPME and
 * triclinic fixtures, over a few moved configurations (list rebuilds and the
 * skin's shells).
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EwaldNonbondedKernel } from '../../src/engine/kernels/ewald/ewald-nonbonded.ts'
import type { NonbondedForce } from '../../src/engine/system.ts'
import { parseStateXml } from '../../src/engine/xml/state-xml.ts'
import { parseSystemXml } from '../../src/engine/xml/system-xml.ts'
import { seededRandom } from './helpers/force-systems.ts'

const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
const ALL_GROUPS = -1

for (const name of ['pme-cubic', 'ljpme-water', 'pme-triclinic']) {
  const dir = path.join(fixturesDir, name)
  test(`${name}: one thread and two threads give the same bits`, (t) => {
    if (!fs.existsSync(path.join(dir, 'system.xml'))) return t.pass(`fixture ${name} missing`)
    const system = parseSystemXml(fs.readFileSync(path.join(dir, 'system.xml'), 'utf8'))
    const state = parseStateXml(fs.readFileSync(path.join(dir, 'state.xml'), 'utf8'))
    const box = (state.box ?? system.defaultBox)!
    const force = system.forces.find((f): f is NonbondedForce => f.type === 'NonbondedForce')!
    const one = new EwaldNonbondedKernel(force, system, { threads: 1 })
    const two = new EwaldNonbondedKernel(force, system, { threads: 2 })
    try {
      const random = seededRandom(7)
      const positions = Float64Array.from(state.positionsNm)
      const forcesOne = new Float64Array(positions.length)
      const forcesTwo = new Float64Array(positions.length)
      const energyOne = new Float64Array(32)
      const energyTwo = new Float64Array(32)
      for (let round = 0; round < 6; round++) {
        forcesOne.fill(0); forcesTwo.fill(0); energyOne.fill(0); energyTwo.fill(0)
        one.compute(positions, box, forcesOne, energyOne, ALL_GROUPS)
        two.compute(positions, box, forcesTwo, energyTwo, ALL_GROUPS)
        t.deepEqual(Array.from(energyTwo), Array.from(energyOne), `energies, round ${round}`)
        let differing = 0
        for (let k = 0; k < forcesOne.length; k++) if (forcesOne[k] !== forcesTwo[k] || Number.isNaN(forcesOne[k])) differing++
        t.is(differing, 0, `force components that differ, round ${round}`)
        // move every atom by up to 0.04 nm: the skin's shells come into play, and now and then a list rebuild
        for (let k = 0; k < positions.length; k++) positions[k] += 0.04 * (random() - 0.5)
      }
    } finally {
      one.close()
      two.close()
    }
  })
}
