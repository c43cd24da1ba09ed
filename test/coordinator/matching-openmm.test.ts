/**
 * Matching with real capabilities: this machine's (builtin + Debian's
 * OpenMM on CPU/Reference) against a builtin-only node. A CHARMM system
 * with CMAPTorsionForce fits only the openmm node; a CUDA unit fits neither
 * and says why.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { explainUnmatched, unmetRequirement } from '../../coordinator/queue/matching.ts'
import { requirementsFit } from '../../node/offer-fit.ts'
import { detectNodeEngines } from '../../node/capabilities.ts'
import { readSystemForceTypes } from '../../src/engine/xml/system-xml.ts'
import type { Requirements } from '../../src/wire/messages.ts'
import { pythonHasModule } from '../formats/debian-python.ts'
import { REPO_ROOT } from '../node/run-binary.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test : test.skip
if (!HAVE_OPENMM) console.log('skipping matching tests with a real OpenMM: /usr/bin/python3 cannot import openmm')

const noGpuEnv = { ...process.env, PATH: '/nonexistent-bin' }
const builtinOnly = detectNodeEngines({ openmm: false, env: noGpuEnv }).capabilities
const cmapSystem = fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'ala2-charmm-cmap', 'system.xml'), 'utf8')

live('a CMAPTorsionForce system (charmm36) goes only to a node with OpenMM', t => {
  const withOpenmm = detectNodeEngines({ env: noGpuEnv }).capabilities
  const forceTypes = readSystemForceTypes(cmapSystem)
  t.true(forceTypes.includes('CMAPTorsionForce'))
  const requirements: Requirements = { engine: 'any', forceTypes }
  t.is(unmetRequirement(requirements, withOpenmm), null)
  t.regex(unmetRequirement(requirements, builtinOnly) ?? '', /CMAPTorsionForce/)
  t.true(requirementsFit(requirements, withOpenmm))
  t.false(requirementsFit(requirements, builtinOnly))
  t.is(explainUnmatched(requirements, [builtinOnly, builtinOnly]), 'needs CMAPTorsionForce: 0 of 2 nodes support it')
  t.is(explainUnmatched(requirements, [builtinOnly, withOpenmm]), null)
})

live('a unit that requires CUDA fits no CPU-only node, and the reason says so', t => {
  const withOpenmm = detectNodeEngines({ env: noGpuEnv }).capabilities
  const requirements: Requirements = { engine: 'any', platform: 'CUDA', forceTypes: ['HarmonicBondForce'] }
  t.is(unmetRequirement(requirements, withOpenmm), 'needs CUDA')
  t.false(requirementsFit(requirements, withOpenmm))
  t.is(explainUnmatched(requirements, [withOpenmm, builtinOnly, withOpenmm]), 'needs CUDA: 0 of 3 nodes have it')
  // The CPU platform it does have matches.
  t.is(unmetRequirement({ ...requirements, platform: 'CPU' }, withOpenmm), null)
  t.regex(unmetRequirement({ engine: 'openmm', forceTypes: [] }, builtinOnly) ?? '', /openmm/)
})

test('a unit that requires a GPU fits no node without one', t => {
  t.is(explainUnmatched({ engine: 'any', gpu: true, forceTypes: [] }, [builtinOnly]), 'needs a GPU: 0 of 1 node have one')
})
