/**
 * Writing the files a local engine command produces (checkpoints), so that a
 * crash or Ctrl-C never leaves a half-written file behind: write a temporary
 * file next to the target, fsync, rename over the target.
 */
import * as fs from 'node:fs'
import { DcdWriter } from '../../src/formats/dcd.ts'
import { describeFsError } from './input-files.ts'

/** An output file named on the command line cannot be created or written. */
export class OutputFileError extends Error {
  readonly path: string
  constructor (path: string, message: string) {
    super(message)
    this.name = 'OutputFileError'
    this.path = path
  }
}

/** Atomically replaces `path` with `bytes`; `what` names it in messages (e.g. 'checkpoint'). */
export function writeFileAtomic (path: string, bytes: Uint8Array, what: string): void {
  const temporary = `${path}.partial-${process.pid}`
  try {
    const fd = fs.openSync(temporary, 'w')
    try {
      fs.writeSync(fd, bytes, 0, bytes.length, 0)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temporary, path)
  } catch (err) {
    fs.rmSync(temporary, { force: true })
    throw new OutputFileError(path, `Cannot write the ${what} '${path}': ${describeFsError(err)}.`)
  }
}

/** Runs `open` (which creates an output file) and turns file system errors into OutputFileError. */
export function openOutput<T> (path: string, what: string, open: () => T): T {
  try {
    return open()
  } catch (err) {
    if (err instanceof Error && err.name !== 'Error') throw err
    throw new OutputFileError(path, `Cannot write the ${what} '${path}': ${describeFsError(err)}.`)
  }
}

/**
 * The DCD of a `run`: appended to (frames after `step` dropped) when the run
 * resumes from a checkpoint and the file exists, else created with its first
 * frame at the next multiple of `reportEvery` after `step`.
 */
export function openRunTrajectory (path: string, run: { resuming: boolean, atomCount: number, hasUnitCell: boolean, reportEvery: number, stepSizePs: number, step: number }): DcdWriter {
  const { atomCount, hasUnitCell, reportEvery, step } = run
  return openOutput(path, 'trajectory', () =>
    run.resuming && fs.existsSync(path)
      ? DcdWriter.append(path, { atomCount, hasUnitCell, interval: reportEvery, keepFramesUpToStep: step })
      : DcdWriter.create(path, { atomCount, timeStepPs: run.stepSizePs, interval: reportEvery, firstStep: (Math.floor(step / reportEvery) + 1) * reportEvery, hasUnitCell }))
}
