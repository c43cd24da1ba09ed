/**
 * Capability detection: the openmm engine when an interpreter imports
 * OpenMM (and not when none does), GPUs from an `nvidia-smi` on PATH, and
 * `mdswarm-node capabilities --json`.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defaultConcurrency, detectNodeEngines } from '../../node/capabilities.ts'
import { parseNvidiaSmiCsv } from '../../node/gpu-detect.ts'
import { pythonHasModule } from '../formats/debian-python.ts'
import { runBinary } from './run-binary.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test.serial : test.skip
if (!HAVE_OPENMM) console.log('skipping OpenMM detection tests: /usr/bin/python3 cannot import openmm')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-capabilities-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

const fakeBin = path.join(tmp, 'bin')
fs.mkdirSync(fakeBin)
// A stand-in for the NVIDIA tool, printing what `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` prints on a 2-GPU box.
fs.writeFileSync(path.join(fakeBin, 'nvidia-smi'), '#!/bin/sh\nprintf "NVIDIA H100 80GB HBM3, 81559, 535.104.05\\nNVIDIA H100 80GB HBM3, 81559, 535.104.05\\n"\n', { mode: 0o755 })
const withGpus = { ...process.env, PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ''}` }
const withoutGpus = { ...process.env, PATH: '/nonexistent-bin' }

test('nvidia-smi CSV: name, memory (MiB) and driver per GPU', t => {
  t.deepEqual(parseNvidiaSmiCsv('NVIDIA GeForce RTX 4090, 24564, 550.54.14\n\n'), [{ name: 'NVIDIA GeForce RTX 4090', memoryBytes: 24564 * 1024 * 1024, driver: '550.54.14' }])
  t.deepEqual(parseNvidiaSmiCsv('No devices were found\n'), [])
})

test('one unit per GPU when OpenMM has a GPU platform, else one per core', t => {
  t.is(defaultConcurrency(['CUDA', 'CPU'], 4, 32), 4)
  t.is(defaultConcurrency(['CPU', 'Reference'], 4, 32), 32)
  t.is(defaultConcurrency(['OpenCL'], 0, 8), 8)
})

live('with OpenMM importable: an openmm engine with its version, working platforms and CMAP; GPUs from nvidia-smi', t => {
  const { capabilities, openmm } = detectNodeEngines({ env: withGpus, openmm: { python: '/usr/bin/python3' } })
  t.truthy(openmm)
  const engine = capabilities.engines.openmm
  t.truthy(engine)
  t.regex(engine.version, /^7\./)
  t.true(engine.platforms.includes('CPU'))
  t.true(engine.platforms.includes('Reference'))
  t.false(engine.platforms.includes('CUDA'), 'CUDA does not create a context here, so it is not advertised')
  t.true(engine.forceTypes.includes('CMAPTorsionForce'))
  t.true(engine.forceTypes.includes('NonbondedForce (PME)'))
  t.truthy(capabilities.engines.builtin)
  t.is(capabilities.gpus.length, 2)
  t.deepEqual(capabilities.gpus[0], { name: 'NVIDIA H100 80GB HBM3', memoryBytes: 81559 * 1024 * 1024, driver: '535.104.05' })
  t.true(capabilities.cpuCores >= 1)
  t.true(capabilities.memoryBytes > 0)
})

test('without OpenMM importable: only the builtin engine; no nvidia-smi: no GPUs', t => {
  const python = path.join(tmp, 'python-without-openmm')
  fs.writeFileSync(python, '#!/bin/sh\necho "ModuleNotFoundError: No module named openmm" >&2\nexit 1\n', { mode: 0o755 })
  const { capabilities, openmm } = detectNodeEngines({ env: withoutGpus, openmm: { python } })
  t.is(openmm, null)
  t.deepEqual(Object.keys(capabilities.engines), ['builtin'])
  t.deepEqual(capabilities.gpus, [])
  t.false(capabilities.engines.builtin.forceTypes.includes('CMAPTorsionForce'))
})

test('MDSWARM_OPENMM=off skips OpenMM detection', t => {
  const { capabilities } = detectNodeEngines({ env: { ...withoutGpus, MDSWARM_OPENMM: 'off' } })
  t.deepEqual(Object.keys(capabilities.engines), ['builtin'])
})

live('mdswarm-node capabilities --json lists engines by name, GPUs, cores and memory', async t => {
  const previous = process.env.PATH
  process.env.PATH = withGpus.PATH
  let result
  try {
    result = await runBinary(['capabilities', '--json'])
  } finally {
    process.env.PATH = previous
  }
  t.is(result.status, 0, result.stderr)
  const json = JSON.parse(result.stdout) as { engines: Record<string, { version: string, platforms: string[], python?: string }>, gpus: unknown[], cpuCores: number, memoryBytes: number }
  t.deepEqual(Object.keys(json.engines).sort(), ['builtin', 'openmm'])
  t.true(json.engines.openmm.platforms.includes('CPU'))
  t.is(typeof json.engines.openmm.python, 'string')
  t.is(json.gpus.length, 2)
  t.true(json.cpuCores >= 1 && json.memoryBytes > 0)
})
