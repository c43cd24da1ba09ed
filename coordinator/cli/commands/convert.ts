/**
 * `mdswarm convert IN -o OUT [--precision NM] [--top TOPOLOGY.pdb] [--lossless]`:
 * converts a trajectory between .dcd, .xtc, .pdb (multi-model) and .mdsw,
 * each chosen by its file extension.
 */
import * as fs from 'node:fs'
import { UsageError } from '../../../src/cli/run-command.ts'
import { openTrajectoryWriter, readTopologyPdb, readTrajectoryFile } from '../../../src/formats/trajectory-files.ts'
import { parseFlags, requireFlag } from '../flags.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.convert

const USAGE = 'mdswarm convert IN -o OUT [--precision NM] [--top TOPOLOGY.pdb] [--lossless] [--json]'

const HELP = `usage: ${USAGE}

${summary}.
  -o, --output OUT     output file: .dcd, .xtc, .pdb or .mdsw
  --precision NM       coordinate precision for .xtc and .mdsw output, nm (default 0.001, as GROMACS)
  --top TOPOLOGY.pdb   atom names and residues (for .pdb and .mdsw output; DCD and XTC carry none)
  --lossless           .mdsw output keeps float32 coordinates bit for bit
  --json               print {"frames", "atoms", "bytes", "output"} instead of a sentence
`

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    output: { type: 'string', short: 'o' },
    precision: { type: 'string' },
    top: { type: 'string' },
    lossless: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, USAGE, true)
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  if (positionals.length !== 1) throw new UsageError(`give exactly one input trajectory.\nusage: ${USAGE}`)
  const input = positionals[0]
  const output = requireFlag(values.output, 'output', USAGE)
  let precisionNm: number | undefined
  if (values.precision !== undefined) {
    precisionNm = Number(values.precision)
    if (!(precisionNm >= 1e-7 && precisionNm <= 1)) throw new UsageError(`--precision must be a number of nm from 1e-7 to 1, got '${values.precision}'.`)
  }
  if (!fs.existsSync(input)) throw new UsageError(`the input trajectory ${input} does not exist.`)
  const trajectory = readTrajectoryFile(input)
  const topology = values.top !== undefined ? readTopologyPdb(values.top, trajectory.atomCount) : trajectory.topology
  const partial = `${output}.partial-${process.pid}`
  const writer = openTrajectoryWriter(partialPathWithExtension(partial, output), {
    atomCount: trajectory.atomCount,
    topology,
    precisionNm: precisionNm ?? trajectory.precisionNm ?? undefined,
    lossless: values.lossless === true,
    stepSizePs: trajectory.stepSizePs ?? undefined,
    title: `converted from ${input} by mdswarm`
  })
  const temp = partialPathWithExtension(partial, output)
  try {
    for (const frame of trajectory.frames) writer.writeFrame(frame)
    writer.close()
    fs.renameSync(temp, output)
  } catch (err) {
    try { writer.close() } catch {}
    fs.rmSync(temp, { force: true })
    throw err
  }
  const bytes = fs.statSync(output).size
  if (values.json === true) process.stdout.write(JSON.stringify({ output, frames: trajectory.frames.length, atoms: trajectory.atomCount, bytes }) + '\n')
  else process.stdout.write(`Wrote ${trajectory.frames.length} frames of ${trajectory.atomCount} atoms to ${output} (${bytes} bytes).\n`)
  return 0
}

/** A temporary path next to `output` that keeps its extension (the writer picks the format by it). */
function partialPathWithExtension (partial: string, output: string): string {
  const dot = output.lastIndexOf('.')
  return `${partial}${output.slice(dot)}`
}
