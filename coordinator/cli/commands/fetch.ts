/**
 * `mdswarm fetch JOB -o out.dcd [--topology out.pdb] [--json]`: writes the
 * frames the coordinator holds for a job (all of them when it is done, the
 * stored prefix while it runs) as a DCD in OpenMM's layout; `--topology`
 * writes a PDB of the job's atoms (positions of the first frame fetched).
 */
import fs from 'node:fs'
import { UsageError } from '../../../src/cli/run-command.ts'
import { DcdWriter } from '../../../src/formats/dcd.ts'
import { readPdb } from '../../../src/engine/pdb/read-pdb.ts'
import { writePdb } from '../../../src/engine/pdb/write-pdb.ts'
import type { Frame } from '../../../src/engine/frame.ts'
import { CLIENT_FLAGS, parseFlags, requireFlag } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'

export const summary = 'Download a job\'s trajectory as DCD (finished or partial), optionally its topology as PDB'

const USAGE = 'mdswarm fetch JOB -o out.dcd [--topology out.pdb] [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, output: { type: 'string', short: 'o' }, topology: { type: 'string' } }, USAGE, true)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  if (positionals.length !== 1) throw new UsageError(`give exactly one job id.\nusage: ${USAGE}`)
  const output = requireFlag(values.output, 'output', USAGE)
  return await withClient(values, async (client) => {
    const status = await client.status(positionals[0])
    const job = status.job
    const partial = `${output}.partial-${process.pid}`
    let writer: DcdWriter | null = null
    let firstFrame: Frame | null = null
    let frames = 0
    let complete = false
    try {
      for await (const frame of client.frames(job.id)) {
        if (writer === null) {
          firstFrame = frame
          writer = DcdWriter.create(partial, { atomCount: frame.positionsNm.length / 3, timeStepPs: job.stepSizePs > 0 ? job.stepSizePs : 0.001, interval: job.reportEvery, firstStep: frame.step, hasUnitCell: frame.box !== null, title: `mdswarm job ${job.id} (${job.name})` })
        }
        writer.writeFrame(frame.positionsNm, frame.box)
        frames += 1
      }
      complete = job.state === 'done' && frames >= job.totalFrames
    } catch (err) {
      writer?.close()
      fs.rmSync(partial, { force: true })
      throw err
    }
    if (writer === null) {
      writer = DcdWriter.create(partial, { atomCount: job.atoms, timeStepPs: job.stepSizePs > 0 ? job.stepSizePs : 0.001, interval: job.reportEvery, firstStep: job.reportEvery, hasUnitCell: false, title: `mdswarm job ${job.id} (${job.name})` })
    }
    writer.close()
    fs.renameSync(partial, output)
    if (values.topology !== undefined) {
      const structure = readPdb(new TextDecoder().decode(await client.fetchBlob(status.inputs.pdbHash)))
      const positions = firstFrame !== null ? { positionsNm: firstFrame.positionsNm, box: firstFrame.box } : { positionsNm: structure.models[0], box: structure.box }
      fs.writeFileSync(values.topology, writePdb(structure.topology, [positions]))
    }
    const result = { jobId: job.id, state: job.state, frames, totalFrames: job.totalFrames, complete, output, ...(values.topology !== undefined ? { topology: values.topology } : {}) }
    if (values.json === true) printJson(result)
    else process.stdout.write(`wrote ${frames} of ${job.totalFrames} frames of ${job.id} to ${output}${complete ? '' : ` (partial: job is ${job.state})`}${values.topology !== undefined ? `; topology in ${values.topology}` : ''}\n`)
    return 0
  })
}
