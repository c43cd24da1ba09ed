/**
 * `mdswarm-node run`: a local simulation with the builtin engine (or a
 * local OpenMM with --engine openmm), written as a DCD trajectory (OpenMM
 * DCDReporter layout) and, optionally, a portable checkpoint that either
 * engine can resume.
 *
 *   mdswarm-node run --system system.xml --integrator integrator.xml --pdb structure.pdb
 *     [--state state.xml] --steps N --report-every K -o out.dcd
 *     [--checkpoint out.chk] [--seed X] [--resume out.chk]
 *     [--engine builtin|openmm] [--platform CUDA|OpenCL|CPU|Reference] [--python PATH] [--property KEY=VALUE]...
 *
 * --steps counts from the starting state; a run resumed from its checkpoint
 * (the same command plus --resume) continues to the same end and appends to
 * the same DCD, dropping frames written after the checkpoint. Ctrl-C (SIGINT)
 * or SIGTERM stops between blocks of steps, writes the checkpoint and exits
 * with status 130.
 */
import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { Simulation } from '../../../src/engine/simulation.ts'
import { encodeCheckpoint } from '../../../src/engine/checkpoint.ts'
import { parseStateXml } from '../../../src/engine/xml/state-xml.ts'
import { DEFAULT_INPUT_LIMITS } from '../../../src/engine/limits.ts'
import { usesPeriodicBoundaryConditions } from '../../../src/engine/system.ts'
import { MoleculeWrapper } from '../../../src/formats/periodic-wrap.ts'
import { UsageError } from '../../../src/cli/run-command.ts'
import { integerFlag, parseFlags, parseProperties, requireFlag } from '../parse-flags.ts'
import { readInputBytes, readInputText } from '../input-files.ts'
import { openRunTrajectory, writeFileAtomic } from '../output-files.ts'
import { runWithOpenmm } from '../openmm-run.ts'
import { nanosecondsPerDay, printRunSummary, reportNothingToRun } from '../run-summary.ts'
import { createStepProgressBar, interruptOnSignals } from '../run-progress.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.run

const USAGE = 'mdswarm-node run --system system.xml --integrator integrator.xml --pdb structure.pdb [--state state.xml] ' +
  '--steps N --report-every K -o out.dcd [--checkpoint out.chk] [--seed X] [--resume out.chk] ' +
  '[--engine builtin|openmm] [--platform NAME] [--python PATH] [--property KEY=VALUE]...'

const FLAGS = {
  system: { type: 'string' },
  integrator: { type: 'string' },
  pdb: { type: 'string' },
  state: { type: 'string' },
  steps: { type: 'string' },
  'report-every': { type: 'string' },
  output: { type: 'string', short: 'o' },
  checkpoint: { type: 'string' },
  'checkpoint-every-s': { type: 'string' },
  seed: { type: 'string' },
  resume: { type: 'string' },
  engine: { type: 'string' },
  platform: { type: 'string' },
  python: { type: 'string' },
  property: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const

const HELP = `usage: ${USAGE}

${summary}.
  --steps N               steps to run, counted from the starting state (--resume continues to the same end)
  --report-every K        write a frame every K steps (at steps that are multiples of K)
  -o, --output out.dcd    DCD trajectory (positions in Å, unit cell for periodic systems)
  --checkpoint out.chk    portable checkpoint, written at the end, on Ctrl-C and every --checkpoint-every-s seconds (default 60)
  --seed X                random seed for initial velocities and the Langevin thermostat
  --resume out.chk        continue from a checkpoint; appends to the DCD if it exists
  --engine builtin|openmm the engine (default builtin); openmm drives a local OpenMM through its Python helper
  --platform NAME         OpenMM platform: CUDA, OpenCL, CPU or Reference (default: the fastest that works)
  --python PATH           the interpreter that has OpenMM (default: MDSWARM_PYTHON, /usr/bin/python3, conda, python3 on PATH)
  --property KEY=VALUE    an OpenMM platform property, e.g. CudaPrecision=mixed, DeviceIndex=1, Threads=4 (repeatable)
`

/** Wall time one block of steps aims at, so that Ctrl-C and the progress bar respond quickly. */
const TARGET_BLOCK_MS = 200
const DEFAULT_CHECKPOINT_EVERY_S = 60
/** Largest checkpoint accepted: 48 bytes per particle for the largest system, plus slack. */
const MAX_CHECKPOINT_BYTES = 64 * DEFAULT_INPUT_LIMITS.maxAtoms

/** Exit status after an interrupted run (128 + SIGINT), as shells report it. */

export async function run (args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS, USAGE)
  if (flags.help === true) {
    process.stdout.write(HELP)
    return 0
  }
  const systemPath = requireFlag(flags.system, 'system', USAGE)
  const integratorPath = requireFlag(flags.integrator, 'integrator', USAGE)
  const outputPath = requireFlag(flags.output, '-o', USAGE)
  if (flags.pdb === undefined && flags.state === undefined) throw new UsageError(`give the starting positions with --pdb (or --state). Usage: ${USAGE}`)
  const steps = integerFlag(requireFlag(flags.steps, 'steps', USAGE), 'steps', 0, DEFAULT_INPUT_LIMITS.maxSteps)
  const reportEvery = integerFlag(requireFlag(flags['report-every'], 'report-every', USAGE), 'report-every', 1, 2 ** 31 - 1)
  const seed = flags.seed === undefined ? undefined : integerFlag(flags.seed, 'seed', 0, 2 ** 32 - 1)
  const checkpointEveryS = flags['checkpoint-every-s'] === undefined ? DEFAULT_CHECKPOINT_EVERY_S : integerFlag(flags['checkpoint-every-s'], 'checkpoint-every-s', 1)
  const checkpointPath = flags.checkpoint
  const engine = flags.engine ?? 'builtin'
  if (engine !== 'builtin' && engine !== 'openmm') throw new UsageError(`--engine must be builtin or openmm, got '${engine}'. Usage: ${USAGE}`)
  if (engine === 'builtin' && (flags.platform !== undefined || flags.python !== undefined || flags.property !== undefined)) {
    throw new UsageError(`--platform, --python and --property choose how OpenMM runs; add --engine openmm. Usage: ${USAGE}`)
  }

  const limits = DEFAULT_INPUT_LIMITS
  const stateXml = flags.state === undefined ? undefined : readInputText(flags.state, 'State XML', limits.maxXmlBytes)
  const resumeBytes = flags.resume === undefined ? undefined : readInputBytes(flags.resume, 'checkpoint', MAX_CHECKPOINT_BYTES)
  if (engine === 'openmm') {
    return await runWithOpenmm({
      systemXml: readInputText(systemPath, 'System XML', limits.maxXmlBytes),
      integratorXml: readInputText(integratorPath, 'Integrator XML', limits.maxXmlBytes),
      pdb: flags.pdb === undefined ? undefined : readInputText(flags.pdb, 'PDB file', limits.maxPdbBytes),
      stateXml,
      resumeBytes,
      seed,
      initialStep: stateXml === undefined ? 0 : parseStateXml(stateXml).step,
      endStep: (stateXml === undefined ? 0 : parseStateXml(stateXml).step) + steps,
      reportEvery,
      outputPath,
      checkpointPath,
      checkpointEveryS,
      openmm: { python: flags.python, platform: flags.platform, properties: parseProperties(flags.property ?? []) },
    })
  }
  const simulation = Simulation.fromInputs({
    systemXml: readInputText(systemPath, 'System XML', limits.maxXmlBytes),
    integratorXml: readInputText(integratorPath, 'Integrator XML', limits.maxXmlBytes),
    pdb: flags.pdb === undefined ? undefined : readInputText(flags.pdb, 'PDB file', limits.maxPdbBytes),
    stateXml,
    checkpoint: resumeBytes,
    seed,
  })
  try {
    // The run ends `steps` after the starting state's step, also when resumed.
    const initialStep = stateXml === undefined ? 0 : parseStateXml(stateXml).step
    const endStep = initialStep + steps
    if (resumeBytes !== undefined && reportNothingToRun(simulation.step, endStep, initialStep)) return 0
    const stepsToRun = Math.max(0, endStep - simulation.step)
    const stepSizePs = simulation.integrator.stepSizePs
    const atomCount = simulation.system.particleCount
    const hasUnitCell = usesPeriodicBoundaryConditions(simulation.system) && simulation.context.box !== null

    const writer = openRunTrajectory(outputPath, { resuming: resumeBytes !== undefined, atomCount, hasUnitCell, reportEvery, stepSizePs, step: simulation.step })

    const writeCheckpoint = (): void => {
      if (checkpointPath !== undefined) writeFileAtomic(checkpointPath, encodeCheckpoint(simulation.checkpoint()), 'checkpoint')
    }
    let lastCheckpointAt = performance.now()
    // As OpenMM's DCDReporter: full-precision positions, molecules wrapped into the box for periodic systems.
    const wrapper = hasUnitCell ? new MoleculeWrapper(simulation.system) : null
    const wrappedNm = new Float64Array(3 * atomCount)
    const onFrame = (): void => {
      const { positionsNm, box } = simulation.context
      if (wrapper !== null && box !== null) writer.writeFrame(wrapper.wrap(positionsNm, box, wrappedNm), box)
      else writer.writeFrame(positionsNm, null)
      if (checkpointPath !== undefined && performance.now() - lastCheckpointAt >= checkpointEveryS * 1000) {
        writeCheckpoint()
        lastCheckpointAt = performance.now()
      }
    }

    const interruption = interruptOnSignals()
    const bar = createStepProgressBar()

    let stepsDone = 0
    const startedAt = performance.now()
    try {
      bar?.start(stepsToRun, 0, { nsPerDay: '-' })
      let blockSteps = Math.min(reportEvery, 10)
      while (stepsDone < stepsToRun && !interruption.signal.aborted) {
        const block = Math.min(blockSteps, stepsToRun - stepsDone)
        const blockStartedAt = performance.now()
        simulation.run({ steps: block, reportEvery, onFrame, signal: interruption.signal })
        stepsDone += block
        const blockMs = Math.max(performance.now() - blockStartedAt, 1e-3)
        blockSteps = Math.max(1, Math.min(4 * block, Math.round(block * TARGET_BLOCK_MS / blockMs)))
        bar?.update(stepsDone, { nsPerDay: nanosecondsPerDay(stepsDone, stepSizePs, performance.now() - startedAt).toFixed(2) })
        // Lets SIGINT/SIGTERM handlers run between blocks.
        await yieldToEventLoop()
      }
    } finally {
      bar?.stop()
      interruption.dispose()
      writer.close()
    }
    const elapsedMs = performance.now() - startedAt
    writeCheckpoint()

    return printRunSummary({
      stepsDone,
      stepSizePs,
      elapsedMs,
      engineLabel: '',
      finalStep: simulation.step,
      endStep,
      frame: simulation.frame(),
      outputPath,
      framesWritten: writer.frameCount,
      checkpointPath,
      interruptedBy: interruption.signal.aborted ? interruption.signal.reason : undefined,
    })
  } finally {
    // stops the force helper thread, if the engine started one
    simulation.close()
  }
}
