/**
 * `mdswarm fetch JOB -o out.xtc|out.dcd|out.pdb|out.mdsw [--topology out.pdb] [--json]`:
 * writes the frames the coordinator holds for a job (all of them when it is
 * done, the stored prefix while it runs) in the format the file name's
 * extension says (src/formats/trajectory-files.ts). `.mdsw` gets the stored
 * chunks byte for byte, without decoding or re-encoding them; `.xtc` keeps
 * the job's precision. Frames hold the atoms the job kept (`submit --keep`);
 * `--topology` writes a PDB of exactly those atoms (positions of the first
 * frame fetched), and `.pdb` / `.mdsw` output carries the same topology.
 */
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../../../src/cli/run-command.ts'
import { readPdb, type PdbStructure } from '../../../src/engine/pdb/read-pdb.ts'
import { writePdb } from '../../../src/engine/pdb/write-pdb.ts'
import type { Frame } from '../../../src/engine/frame.ts'
import type { Topology } from '../../../src/engine/topology.ts'
import { formatOfPath, openTrajectoryWriter, type TrajectoryWriter } from '../../../src/formats/trajectory-files.ts'
import { subsetTopology } from '../../../src/formats/atom-selection.ts'
import { chunkFrames, decodeFrames, DEFAULT_PRECISION_NM, type DecodedChunk } from '../../../src/trajectory/index.ts'
import { CLIENT_FLAGS, parseFlags, requireFlag } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { checkOutputFolder } from '../output-path.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.fetch

const USAGE = 'mdswarm fetch JOB -o out.xtc|out.dcd|out.pdb|out.mdsw [--topology out.pdb] [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

/** `dir/name.ext` → `dir/name.partial-PID.ext` (the extension still names the format). */
function partialPath (output: string): string {
  const ext = path.extname(output)
  return path.join(path.dirname(output), `${path.basename(output, ext)}.partial-${process.pid}${ext}`)
}

/** The topology of the kept atoms (all atoms when `selection` is null). */
function keptTopology (structure: PdbStructure, selection: ArrayLike<number> | null): Topology {
  return selection === null ? structure.topology : subsetTopology(structure.topology, selection)
}

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, output: { type: 'string', short: 'o' }, topology: { type: 'string' } }, USAGE, true)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  if (positionals.length !== 1) throw new UsageError(`give exactly one job id.\nusage: ${USAGE}`)
  const output = requireFlag(values.output, 'output', USAGE)
  const format = formatOfPath(output)
  // Before downloading: a missing folder is named as the user wrote it, not as the temporary file.
  checkOutputFolder(output)
  if (values.topology !== undefined) checkOutputFolder(values.topology)
  return await withClient(values, async (client) => {
    const status = await client.status(positionals[0])
    const job = status.job
    let structure: PdbStructure | null = null
    const pdbStructure = async (): Promise<PdbStructure> => {
      if (structure === null) {
        const bytes = await client.fetchBlob(status.inputs.pdbHash)
        structure = readPdb(new TextDecoder().decode(bytes), { maxPdbBytes: bytes.length + 1 })
      }
      return structure
    }
    const partial = partialPath(output)
    let writer: TrajectoryWriter | null = null
    let selection = null as Int32Array | null
    let firstFrame = null as Frame | null
    let frames = 0
    const open = async (chunk: DecodedChunk | null): Promise<TrajectoryWriter> => {
      selection = chunk?.atomSelection ?? null
      const atomCount = chunk?.atomCount ?? job.atoms
      const topology = format === 'pdb' || format === 'mdsw' ? keptTopology(await pdbStructure(), selection) : null
      return openTrajectoryWriter(partial, {
        atomCount,
        topology,
        precisionNm: chunk !== null && !chunk.lossless ? chunk.precisionNm : DEFAULT_PRECISION_NM,
        ...(chunk?.lossless === true ? { lossless: true } : {}),
        ...(job.stepSizePs > 0 ? { stepSizePs: job.stepSizePs } : {}),
        reportEvery: job.reportEvery,
        title: `mdswarm job ${job.id} (${job.name})`,
        ...(selection !== null ? { atomSelection: Array.from(selection) } : {})
      })
    }
    try {
      for await (const encoded of client.encodedChunks(job.id)) {
        if (format === 'mdsw' && writer !== null) {
          // Stored chunks go into the file as they are.
          writer.appendChunk?.(encoded.data)
          frames += encoded.frameCount
          continue
        }
        const chunk = decodeFrames(encoded.data)
        const decoded = chunkFrames(chunk)
        if (writer === null) {
          writer = await open(chunk)
          firstFrame = decoded[0]
          if (format === 'mdsw') { writer.appendChunk?.(encoded.data); frames += chunk.frameCount; continue }
        }
        for (const frame of decoded) writer.writeFrame(frame)
        frames += chunk.frameCount
      }
      writer ??= await open(null)
      writer.close()
    } catch (err) {
      try { writer?.close() } catch {}
      fs.rmSync(partial, { force: true })
      throw err
    }
    fs.renameSync(partial, output)
    const complete = job.state === 'done' && frames >= job.totalFrames
    if (values.topology !== undefined) {
      const pdb = await pdbStructure()
      const topology = keptTopology(pdb, selection)
      let positions: { positionsNm: ArrayLike<number>, box: Frame['box'] }
      if (firstFrame !== null) positions = { positionsNm: firstFrame.positionsNm, box: firstFrame.box }
      else {
        const model = pdb.models[0]
        const kept: ArrayLike<number> | null = selection
        positions = { positionsNm: kept === null ? model : Float32Array.from({ length: 3 * kept.length }, (_, i) => model[3 * kept[Math.floor(i / 3)] + (i % 3)]), box: pdb.box }
      }
      fs.writeFileSync(values.topology, writePdb(topology, [positions]))
    }
    const result = { jobId: job.id, state: job.state, frames, totalFrames: job.totalFrames, complete, output, format, atoms: selection !== null ? selection.length : job.atoms, ...(values.topology !== undefined ? { topology: values.topology } : {}) }
    if (values.json === true) printJson(result)
    else process.stdout.write(`wrote ${frames} of ${job.totalFrames} frames of ${job.id} to ${output}${complete ? '' : ` (partial: job is ${job.state})`}${values.topology !== undefined ? `; topology in ${values.topology}` : ''}\n`)
    return 0
  })
}
