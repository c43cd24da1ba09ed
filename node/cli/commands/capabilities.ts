/**
 * `mdswarm-node capabilities`: what this machine would advertise to a
 * coordinator: engines (builtin; openmm with its version and the platforms
 * that actually created a context), GPUs (nvidia-smi), CPU cores, memory.
 *
 *   mdswarm-node capabilities [--json] [--python PATH] [--no-openmm]
 *
 * --json prints the Capabilities object as sent on the wire, with the
 * openmm entry extended by `python` (the interpreter found) and
 * `failedPlatforms` (platform → OpenMM's message).
 */
import { detectNodeEngines } from '../../capabilities.ts'
import { parseFlags } from '../parse-flags.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.capabilities

const USAGE = 'mdswarm-node capabilities [--json] [--python PATH] [--no-openmm] [--concurrency N]'

const FLAGS = {
  json: { type: 'boolean' },
  python: { type: 'string' },
  'no-openmm': { type: 'boolean' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const GIB = 1024 ** 3

export async function run (args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS, USAGE)
  if (flags.help === true) {
    process.stdout.write(`usage: ${USAGE}\n\n${summary}.\n  --python PATH   the interpreter that has OpenMM (default: MDSWARM_PYTHON, /usr/bin/python3, conda, python3 on PATH)\n  --no-openmm     skip OpenMM detection\n`)
    return 0
  }
  const { capabilities, openmm } = detectNodeEngines({
    openmm: flags['no-openmm'] === true ? false : { python: flags.python },
    ...(flags.concurrency !== undefined ? { concurrency: Number(flags.concurrency) } : {}),
  })
  if (flags.json === true) {
    const engines: Record<string, unknown> = { ...capabilities.engines }
    if (openmm !== null) engines.openmm = { ...capabilities.engines.openmm, python: openmm.python, failedPlatforms: openmm.failed }
    process.stdout.write(`${JSON.stringify({ ...capabilities, engines }, null, 2)}\n`)
    return 0
  }
  const lines: string[] = []
  for (const [name, engine] of Object.entries(capabilities.engines)) {
    lines.push(`engine    ${name} ${engine.version} (${engine.platforms.join(', ') || 'no platform'}), ${engine.forceTypes.length} force types`)
  }
  if (openmm === null) {
    lines.push(flags['no-openmm'] === true ? 'openmm    not checked (--no-openmm)' : 'openmm    not found: no interpreter imports OpenMM (give one with --python PATH)')
  } else {
    lines.push(`python    ${openmm.python}`)
    for (const [platform, message] of Object.entries(openmm.failed)) lines.push(`          ${platform} unavailable: ${message}`)
  }
  if (capabilities.gpus.length === 0) lines.push('gpus      none (no nvidia-smi, or it reports no GPU)')
  for (const [index, gpu] of capabilities.gpus.entries()) lines.push(`gpu ${index}     ${gpu.name}, ${(gpu.memoryBytes / GIB).toFixed(1)} GiB, driver ${gpu.driver}`)
  lines.push(`cpu       ${capabilities.cpuCores} cores, ${(capabilities.memoryBytes / GIB).toFixed(1)} GiB memory`)
  lines.push(`units     ${capabilities.concurrency} at once`)
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}
