/**
 * Device check of the openmm engine on a lent GPU machine (run by
 * scripts/device/run-openmm-gpu.sh, bundled by build-kit.sh): what the node
 * would advertise and choose there, then each system started from the same
 * state.xml on OpenMM's OpenCL platform (single, mixed, double precision),
 * CPU and Reference: starting potential energy (agreement with Reference)
 * and steady-state ns/day; then the node's own unit path (runUnit) on
 * OpenCL, with portable checkpoints handed builtin -> OpenCL -> CPU; and
 * the builtin engine's ns/day on the machine's CPUs.
 *
 *   node openmm-gpu-driver.mjs --python /opt/kit/usr/bin/python3.11 [--repo DIR] [--measure-s 4] [--warmup-s 1]
 *
 * Units: kJ/mol, ns/day, s. Times depend on the machine; nothing asserts on them.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { OpenmmEngine } from '../../src/engine-openmm/openmm-engine.ts'
import { Simulation } from '../../src/engine/simulation.ts'
import { decodeCheckpoint, encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { detectNodeEngines } from '../../node/capabilities.ts'
import { chooseEngine } from '../../node/runner/engine-choice.ts'
import { runUnit, type FrameBatch, type UnitWorkInput } from '../../node/runner/unit-runner.ts'
import { benchSystem, readInputs } from '../bench/support/engine-systems.ts'

interface SystemInputs {
  readonly name: string
  readonly systemXml: string
  readonly integratorXml: string
  readonly pdb: string
  readonly stateXml: string
}

interface PlatformConfig {
  readonly label: string
  readonly platform: string
  readonly properties: Record<string, string>
  /** Only the starting energy (Reference is too slow to time). */
  readonly energyOnly?: boolean
}

const { values } = parseArgs({
  options: {
    python: { type: 'string' },
    repo: { type: 'string' },
    'measure-s': { type: 'string' },
    'warmup-s': { type: 'string' },
  },
  strict: true,
})
const PYTHON = values.python
const REPO = path.resolve(values.repo ?? process.cwd())
const MEASURE_S = Number(values['measure-s'] ?? '4')
const WARMUP_S = Number(values['warmup-s'] ?? '1')

/** Engine benchmark systems (scripts/bench/support/engine-systems.ts) run here, with their labels. */
const SYSTEMS: ReadonlyArray<{ name: string, label: string }> = [
  { name: 'ala2-tip3p', label: 'ala2-tip3p (2,272 atoms, RF 0.9 nm)' },
  { name: 'villin-pme', label: 'villin-pme (8,867 atoms, PME 0.9 nm)' },
]

function log (line: string): void {
  process.stdout.write(line + '\n')
}

function loadSystem (entry: { name: string, label: string }): SystemInputs | null {
  try {
    return { name: entry.label, ...readInputs(benchSystem(entry.name), REPO) }
  } catch (err) {
    log(`skip ${entry.label}: ${(err as Error).message}`)
    return null
  }
}

function nsPerDay (steps: number, stepSizePs: number, seconds: number): number {
  return steps * stepSizePs / 1000 / (seconds / 86_400)
}

/** Runs growing blocks of steps until `seconds` of wall time have passed (one frame per block). */
async function stepFor (engine: OpenmmEngine, seconds: number, firstBlock: number): Promise<{ steps: number, seconds: number }> {
  let steps = 0
  let block = firstBlock
  const startedAt = performance.now()
  for (;;) {
    await engine.run({ steps: block, reportEvery: block })
    steps += block
    const elapsedS = (performance.now() - startedAt) / 1000
    if (elapsedS >= seconds) return { steps, seconds: elapsedS }
    block = Math.max(1, Math.min(4 * block, Math.floor(steps * (seconds - elapsedS) / Math.max(elapsedS, 1e-6))))
  }
}

interface PlatformResult {
  readonly label: string
  readonly startupS: number
  readonly potential0: number
  readonly nsPerDay?: number
  readonly steps?: number
  readonly finalPotential?: number
  readonly finalTemperatureK?: number
  readonly properties?: Record<string, string>
}

async function measurePlatform (inputs: SystemInputs, config: PlatformConfig): Promise<PlatformResult | string> {
  const startedAt = performance.now()
  let engine: OpenmmEngine
  try {
    engine = await OpenmmEngine.start({ ...inputs, seed: 1 }, { python: PYTHON, platform: config.platform, properties: config.properties })
  } catch (err) {
    const e = err as Error
    return `${e.name}: ${e.message}`
  }
  try {
    const frame0 = await engine.frame()
    const startupS = (performance.now() - startedAt) / 1000
    if (config.energyOnly === true) return { label: config.label, startupS, potential0: frame0.potentialEnergy }
    const warmup = await stepFor(engine, WARMUP_S, 10)
    const measured = await stepFor(engine, MEASURE_S, Math.max(10, Math.floor(warmup.steps / 2)))
    const last = await engine.frame()
    return {
      label: config.label,
      startupS,
      potential0: frame0.potentialEnergy,
      nsPerDay: nsPerDay(measured.steps, engine.stepSizePs, measured.seconds),
      steps: measured.steps,
      finalPotential: last.potentialEnergy,
      finalTemperatureK: last.temperatureK,
      properties: engine.info.properties as Record<string, string> | undefined,
    }
  } catch (err) {
    const e = err as Error
    return `${e.name}: ${e.message}`
  } finally {
    await engine.close()
  }
}

function fmt (value: number | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return value.toFixed(digits)
}

async function platformSection (systems: readonly SystemInputs[], openclAvailable: boolean): Promise<void> {
  const configs: PlatformConfig[] = [
    ...(openclAvailable
      ? [
          { label: 'OpenCL single', platform: 'OpenCL', properties: { Precision: 'single' } },
          { label: 'OpenCL mixed', platform: 'OpenCL', properties: { Precision: 'mixed' } },
          { label: 'OpenCL double', platform: 'OpenCL', properties: { Precision: 'double' } },
        ]
      : []),
    { label: 'CPU', platform: 'CPU', properties: {} },
    { label: 'Reference', platform: 'Reference', properties: {}, energyOnly: true },
  ]
  for (const inputs of systems) {
    log(`\n== ${inputs.name}: same state.xml on each platform; warm-up ${WARMUP_S} s, timed ${MEASURE_S} s, LangevinMiddle 2 fs`)
    const results: PlatformResult[] = []
    for (const config of configs) {
      const result = await measurePlatform(inputs, config)
      if (typeof result === 'string') {
        log(`${config.label.padEnd(14)} FAILED ${result}`)
        continue
      }
      results.push(result)
      log(`${config.label.padEnd(14)} start-up ${fmt(result.startupS)} s  E_pot(0) ${fmt(result.potential0, 3)} kJ/mol` +
        (result.nsPerDay === undefined ? '' : `  ${fmt(result.nsPerDay, 1)} ns/day (${result.steps} steps)  E_pot(end) ${fmt(result.finalPotential, 1)}  T(end) ${fmt(result.finalTemperatureK, 1)} K`) +
        (result.properties === undefined ? '' : `  ${JSON.stringify(pick(result.properties, ['Precision', 'DeviceName', 'OpenCLPlatformName', 'Threads']))}`))
    }
    const reference = results.find(r => r.label === 'Reference')
    const cpu = results.find(r => r.label === 'CPU')
    for (const r of results) {
      if (r === reference) continue
      const vsRef = reference === undefined ? '-' : (Math.abs(r.potential0 - reference.potential0) / Math.abs(reference.potential0)).toExponential(2)
      const speedup = cpu?.nsPerDay === undefined || r.nsPerDay === undefined ? '-' : fmt(r.nsPerDay / cpu.nsPerDay, 1)
      log(`  ${r.label.padEnd(14)} |E_pot(0) - Reference| / |Reference| = ${vsRef}   ns/day vs OpenMM CPU: x${speedup}`)
    }
  }
}

function pick (record: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of keys) if (record[key] !== undefined) out[key] = record[key]
  return out
}

/** The node's own path for a unit: runUnit with the engine the node would choose, checkpoints handed between engines. */
async function unitSection (inputs: SystemInputs, gpuPlatform: string | undefined): Promise<void> {
  log(`\n== node unit path (node/runner/unit-runner.ts runUnit) on ${inputs.name}`)
  // 1. 100 steps on the builtin engine (as a CPU node would run them), then its portable checkpoint.
  const builtin = Simulation.fromInputs({ ...inputs, seed: 5, threads: 1 })
  builtin.run({ steps: 100, reportEvery: 100 })
  const fromBuiltin = encodeCheckpoint(builtin.checkpoint())
  const builtinEnergy = builtin.frame().potentialEnergy
  builtin.close()
  log(`builtin: 100 steps, E_pot ${fmt(builtinEnergy, 1)} kJ/mol, checkpoint ${fromBuiltin.length} bytes`)

  const segments: Array<{ label: string, engine: UnitWorkInput['engine'], endStep: number }> = [
    ...(gpuPlatform !== undefined ? [{ label: `openmm ${gpuPlatform} mixed`, engine: { name: 'openmm' as const, platform: gpuPlatform, properties: { Precision: 'mixed' } }, endStep: 5100 }] : []),
    { label: 'openmm CPU', engine: { name: 'openmm' as const, platform: 'CPU', properties: {} }, endStep: gpuPlatform !== undefined ? 5600 : 600 },
  ]
  let checkpoint = fromBuiltin
  for (const segment of segments) {
    const batches: FrameBatch[] = []
    const startStep = decodeCheckpoint(checkpoint).step
    const startedAt = performance.now()
    const outcome = await runUnit({ ...inputs, checkpoint, seed: 7, endStep: segment.endStep, reportEvery: 100, maxFramesPerBatch: 10, maxBatchMs: 60_000, engine: segment.engine },
      { onBatch: batch => { batches.push(batch) } })
    const wallS = (performance.now() - startedAt) / 1000
    if (outcome.status !== 'completed') {
      log(`${segment.label}: ${outcome.status} ${JSON.stringify(outcome)}`)
      return
    }
    const frames = batches.flatMap(b => b.frames)
    const temperatures = frames.map(f => f.temperatureK)
    const meanT = temperatures.reduce((a, b) => a + b, 0) / Math.max(1, temperatures.length)
    const steps = outcome.step - startStep
    log(`${segment.label}: steps ${startStep} -> ${outcome.step}, ${batches.length} batches, ${frames.length} frames, ` +
      `E_pot(last) ${fmt(frames[frames.length - 1]?.potentialEnergy, 1)} kJ/mol, mean T ${fmt(meanT, 1)} K, ` +
      `engine ${fmt(outcome.engineMs / 1000)} s (${fmt(nsPerDay(steps, 0.002, outcome.engineMs / 1000), 1)} ns/day incl. frames), wall ${fmt(wallS)} s, ` +
      `checkpoints end at frames: ${batches.every(b => b.checkpointStep === b.frames[b.frames.length - 1].step)}`)
    checkpoint = outcome.checkpoint
  }
}

function builtinSection (inputs: SystemInputs): void {
  log(`\n== builtin engine (TypeScript) on ${inputs.name}, this machine's CPUs`)
  for (const threads of [1, 'auto'] as const) {
    const startedAt = performance.now()
    const simulation = Simulation.fromInputs({ ...inputs, seed: 1, threads })
    simulation.run({ steps: 1, reportEvery: Number.MAX_SAFE_INTEGER })
    const startupS = (performance.now() - startedAt) / 1000
    let steps = 0
    let block = 10
    const t0 = performance.now()
    let elapsedS = 0
    while (elapsedS < MEASURE_S) {
      simulation.run({ steps: block, reportEvery: Number.MAX_SAFE_INTEGER })
      steps += block
      elapsedS = (performance.now() - t0) / 1000
      block = Math.min(4 * block, 200)
    }
    const rate = nsPerDay(steps, simulation.integrator.stepSizePs, elapsedS)
    simulation.close()
    log(`builtin threads=${threads}: start-up ${fmt(startupS)} s, ${fmt(rate, 2)} ns/day (${steps} steps in ${fmt(elapsedS)} s)`)
  }
}

async function main (): Promise<void> {
  log(`== node ${process.version}, repo ${REPO}, python ${PYTHON ?? '(discovery)'}`)
  const detectStart = performance.now()
  const node = detectNodeEngines({ openmm: { python: PYTHON } })
  log(`detectNodeEngines (${fmt((performance.now() - detectStart) / 1000)} s): gpus ${JSON.stringify(node.capabilities.gpus)}, concurrency ${node.capabilities.concurrency}, cpuCores ${node.capabilities.cpuCores}`)
  log(`openmm: ${node.openmm === null ? 'NOT FOUND' : JSON.stringify({ version: node.openmm.openmmVersion, platforms: node.openmm.platforms, failed: node.openmm.failed })}`)
  const choice = chooseEngine({ engine: 'any', forceTypes: [] }, node.capabilities)
  log(`chooseEngine(any unit) on this node: ${JSON.stringify(choice)}`)
  const gpuPlatform = node.openmm?.platforms.find(p => p === 'CUDA' || p === 'OpenCL')
  const systems = SYSTEMS.map(loadSystem).filter((s): s is SystemInputs => s !== null)
  if (choice.name === 'openmm' && systems.length > 0) {
    // what the node's choice gives once OpenMM has made its context (the helper maps CudaPrecision/OpenCLPrecision to Precision)
    try {
      const engine = await OpenmmEngine.start({ ...systems[0], seed: 1 }, { python: PYTHON, platform: choice.platform, properties: choice.properties })
      log(`the node's choice makes a context on ${engine.platform} with ${JSON.stringify(pick(engine.info.properties, ['Precision', 'DeviceIndex', 'DeviceName', 'Threads']))}`)
      await engine.close()
    } catch (err) {
      log(`the node's choice failed to make a context: ${(err as Error).name}: ${(err as Error).message}`)
    }
  }
  if (node.openmm !== null) {
    await platformSection(systems, node.openmm.platforms.includes('OpenCL'))
    if (systems.length > 0) await unitSection(systems[0], gpuPlatform)
  }
  if (systems.length > 0) builtinSection(systems[0])
  log('\n== driver done')
}

main().catch(err => {
  const e = err as Error
  log(`driver failed: ${e.name}: ${e.message}\n${e.stack ?? ''}`)
  process.exitCode = 1
})
