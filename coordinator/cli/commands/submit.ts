/**
 * `mdswarm submit --system S.xml --integrator I.xml --pdb P.pdb [--state ST.xml] --steps N --report-every K
 *   [--segment-steps M] [--replicas R] [--seed X] [--priority P] [--name NAME] [--engine E] [--platform P] [--gpu]
 *   [--keep protein|all|0-21,30] [--precision NM] [--lossless]`
 * `--json` → `{"jobs": [{"id": ...}, ...]}`. `--keep` is resolved here against the PDB (src/formats/atom-selection.ts);
 * the job carries the atom indices, and every trajectory chunk holds only those atoms.
 * Inputs no node could run (a PDB of another system; `--engine builtin` with a force the builtin
 * engine lacks) are refused here, before anything is uploaded (../../submit/input-facts.ts),
 * and again by the coordinator.
 */
import fs from 'node:fs'
import { UsageError } from '../../../src/cli/run-command.ts'
import { CLIENT_FLAGS, integerFlag, parseFlags, requireFlag } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { selectAtoms } from '../../../src/formats/atom-selection.ts'
import { readPdb } from '../../../src/engine/pdb/read-pdb.ts'
import { DEFAULT_INPUT_LIMITS } from '../../../src/engine/limits.ts'
import { DEFAULT_PRECISION_NM } from '../../../src/trajectory/index.ts'
import { DEFAULT_MAX_ATTEMPTS, MAX_REPLICAS } from '../../queue/constants.ts'
import { readInputFacts, refuseUnrunnable } from '../../submit/input-facts.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.submit

const USAGE = 'mdswarm submit --system S.xml --integrator I.xml --pdb P.pdb [--state ST.xml] --steps N --report-every K ' +
  '[--segment-steps M] [--replicas R] [--seed X] [--priority P] [--name NAME] [--engine builtin|openmm|any] [--platform NAME] [--gpu] ' +
  '[--max-attempts N] [--keep protein|all|0-21,30] [--precision NM] [--lossless] [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

const HELP = `usage: ${USAGE}

${summary}. Prints the job ids (one job per replica).
inputs (OpenMM XmlSerializer files):
  --system S.xml       the System (forces, particles); its particle count must match the PDB's atoms
  --integrator I.xml   the Integrator (step size, temperature, friction)
  --pdb P.pdb          starting positions and the topology of the trajectory
  --state ST.xml       starting positions, velocities and box instead of the PDB's (optional)
length and output:
  --steps N            steps per job (required)
  --report-every K     steps between trajectory frames (required; at most N)
  --segment-steps M    steps per work unit: a job runs in segments of M steps, each possibly on another
                       node, continuing from the last checkpoint (default: N, the whole job in one unit)
  --keep SELECTION     atoms stored in the trajectory: protein (no water or ions), all, or indices
                       such as 0-21,30 (0-based, PDB order); default all
  --precision NM       trajectory coordinate precision, nm (default ${DEFAULT_PRECISION_NM}, as XTC)
  --lossless           keep coordinates exact (float32 bit for bit) instead of rounding them
  Trajectories are stored in the swarm at ${DEFAULT_PRECISION_NM} nm precision by default; --lossless keeps
  them exact (larger chunks).
ensembles and scheduling:
  --replicas R         R independent jobs of the same inputs, seeds X, X+1, ... (default 1, at most ${MAX_REPLICAS})
  --seed X             random seed of the first replica (default: random)
  --priority P         higher runs first (default 0; from -1000000 to 1000000)
  --name NAME          job name (replicas get NAME-0, NAME-1, ...; default 'job')
  --max-attempts N     failed attempts of a unit before its job fails (default: the coordinator's, ${DEFAULT_MAX_ATTEMPTS})
where it runs:
  --engine E           builtin, openmm or any (default any). builtin refuses a system with a force it
                       lacks (e.g. CMAPTorsionForce) at once; openmm and any let OpenMM nodes run it
  --platform NAME      OpenMM platform the job needs (CUDA, OpenCL, CPU, Reference)
  --gpu                only nodes with a GPU
coordinator:
  --coordinator MULTIADDR  the coordinator to use (default: <home>/coordinator.json)
  --home DIR           home folder (default $MDSWARM_HOME or ~/.mdswarm): your client key
  --swarm-key FILE     private network key (default <home>/swarm.key if present)
  --json               print {"jobs": [...]} (each job's summary) instead of lines

Inputs are checked before submitting: a PDB and System of different sizes, or --engine builtin with a
force the builtin engine lacks, are refused with nothing queued.
`

const FLAGS = {
  ...CLIENT_FLAGS,
  system: { type: 'string' },
  integrator: { type: 'string' },
  pdb: { type: 'string' },
  state: { type: 'string' },
  steps: { type: 'string' },
  'report-every': { type: 'string' },
  'segment-steps': { type: 'string' },
  replicas: { type: 'string' },
  seed: { type: 'string' },
  priority: { type: 'string' },
  name: { type: 'string' },
  engine: { type: 'string' },
  platform: { type: 'string' },
  gpu: { type: 'boolean' },
  'max-attempts': { type: 'string' },
  keep: { type: 'string' },
  precision: { type: 'string' },
  lossless: { type: 'boolean' },
} as const

/** A named input file; a clear error when it cannot be read. */
export class InputFileError extends Error {
  constructor (flag: string, file: string, cause: unknown) {
    super(`Cannot read --${flag} ${file}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message}.`)
    this.name = 'InputFileError'
  }
}

function readInput (flag: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new InputFileError(flag, file, err)
  }
}

/**
 * The coordinator's checks of what no node could run, here before uploading;
 * this machine's files are sized by themselves (the coordinator applies its limits).
 */
function refuseUnrunnableInputs (files: { systemXml: Uint8Array, integratorXml: Uint8Array, pdb: Uint8Array, stateXml: Uint8Array | undefined }, engine: 'builtin' | 'openmm' | 'any'): void {
  const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
  const largest = Math.max(files.systemXml.length, files.integratorXml.length, files.pdb.length, files.stateXml?.length ?? 0) + 1
  const limits = { ...DEFAULT_INPUT_LIMITS, maxXmlBytes: largest, maxPdbBytes: largest, maxAtoms: Number.MAX_SAFE_INTEGER }
  const facts = readInputFacts({ systemXml: text(files.systemXml), integratorXml: text(files.integratorXml), pdb: text(files.pdb), ...(files.stateXml !== undefined ? { stateXml: text(files.stateXml) } : {}) }, limits)
  refuseUnrunnable(facts, engine)
}

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  const steps = requireFlag(integerFlag(values.steps, 'steps', 1), 'steps', USAGE)
  const reportEvery = requireFlag(integerFlag(values['report-every'], 'report-every', 1), 'report-every', USAGE)
  const segmentSteps = integerFlag(values['segment-steps'], 'segment-steps', 1)
  const replicas = integerFlag(values.replicas, 'replicas', 1, 100_000)
  const seed = integerFlag(values.seed, 'seed', 0)
  const priority = integerFlag(values.priority, 'priority', -1_000_000, 1_000_000)
  const maxAttempts = integerFlag(values['max-attempts'], 'max-attempts', 1, 1000)
  const engine = values.engine
  if (engine !== undefined && engine !== 'builtin' && engine !== 'openmm' && engine !== 'any') throw new UsageError(`--engine must be builtin, openmm or any, got '${engine}'.`)
  const systemXml = readInput('system', requireFlag(values.system, 'system', USAGE))
  const integratorXml = readInput('integrator', requireFlag(values.integrator, 'integrator', USAGE))
  const pdb = readInput('pdb', requireFlag(values.pdb, 'pdb', USAGE))
  const stateXml = values.state !== undefined ? readInput('state', values.state) : undefined
  refuseUnrunnableInputs({ systemXml, integratorXml, pdb, stateXml }, engine ?? 'any')
  const keepAtoms = values.keep !== undefined ? selectAtoms(values.keep, readPdb(new TextDecoder().decode(pdb), { maxPdbBytes: pdb.length + 1 }).topology) : undefined
  let precisionNm: number | undefined
  if (values.precision !== undefined) {
    precisionNm = Number(values.precision)
    if (!(precisionNm >= 1e-7 && precisionNm <= 1)) throw new UsageError(`--precision must be a number of nm from 1e-7 to 1, got '${values.precision}'.`)
    if (values.lossless === true) throw new UsageError('give --precision or --lossless, not both.')
  }
  return await withClient(values, async (client) => {
    const jobs = await client.submit({
      systemXml, integratorXml, pdb, steps, reportEvery,
      ...(stateXml !== undefined ? { stateXml } : {}),
      ...(segmentSteps !== undefined ? { segmentSteps } : {}),
      ...(replicas !== undefined ? { replicas } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(engine !== undefined ? { engine } : {}),
      ...(values.platform !== undefined ? { platform: values.platform } : {}),
      ...(values.gpu === true ? { gpu: true } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(keepAtoms !== undefined ? { keepAtoms } : {}),
      ...(precisionNm !== undefined ? { precisionNm } : {}),
      ...(values.lossless === true ? { lossless: true } : {}),
    })
    if (values.json === true) {
      printJson({ jobs: jobs.map((j) => j.summary) })
    } else {
      const first = jobs[0].summary
      process.stdout.write(`submitted ${jobs.length} job(s): ${first.steps} steps each, ${first.totalFrames} frames, ${first.segments} unit(s) per job\n`)
      for (const job of jobs) process.stdout.write(`${job.id}  ${job.summary.name}  seed ${job.summary.seed}${job.summary.waitingReason !== undefined ? `  (waiting: ${job.summary.waitingReason})` : ''}\n`)
    }
    return 0
  })
}
