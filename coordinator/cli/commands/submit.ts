/**
 * `mdswarm submit --system S.xml --integrator I.xml --pdb P.pdb [--state ST.xml] --steps N --report-every K
 *   [--segment-steps M] [--replicas R] [--seed X] [--priority P] [--name NAME] [--engine E] [--platform P] [--gpu]
 *   [--keep protein|all|0-21,30] [--precision NM] [--lossless]`
 * `--json` → `{"jobs": [{"id": ...}, ...]}`. `--keep` is resolved here against the PDB (src/formats/atom-selection.ts);
 * the job carries the atom indices, and every trajectory chunk holds only those atoms.
 */
import fs from 'node:fs'
import { UsageError } from '../../../src/cli/run-command.ts'
import { CLIENT_FLAGS, integerFlag, parseFlags, requireFlag } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { selectAtoms } from '../../../src/formats/atom-selection.ts'
import { readPdb } from '../../../src/engine/pdb/read-pdb.ts'

export const summary = 'Submit a simulation (or an ensemble of replicas) to the coordinator'

const USAGE = 'mdswarm submit --system S.xml --integrator I.xml --pdb P.pdb [--state ST.xml] --steps N --report-every K ' +
  '[--segment-steps M] [--replicas R] [--seed X] [--priority P] [--name NAME] [--engine builtin|openmm|any] [--platform NAME] [--gpu] ' +
  '[--max-attempts N] [--keep protein|all|0-21,30] [--precision NM] [--lossless] [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

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

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
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
