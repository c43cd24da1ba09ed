/**
 * Reading the input files a local engine command names on its command line
 * (System/Integrator/State XML, PDB, checkpoints), with a typed error that
 * says which file could not be read and why, and a size bound checked before
 * anything is read into memory.
 */
import * as fs from 'node:fs'

/** An input file named on the command line is missing, unreadable or too large. */
export class InputFileError extends Error {
  readonly path: string
  constructor (path: string, message: string) {
    super(message)
    this.name = 'InputFileError'
    this.path = path
  }
}

/** Reads `path` as bytes; `what` names it in messages (e.g. 'System XML'). */
export function readInputBytes (path: string, what: string, maxBytes: number): Uint8Array {
  let size: number
  try {
    const stat = fs.statSync(path)
    if (!stat.isFile()) throw new InputFileError(path, `The ${what} '${path}' is not a regular file.`)
    size = stat.size
  } catch (err) {
    if (err instanceof InputFileError) throw err
    throw new InputFileError(path, `Cannot read the ${what} '${path}': ${describeFsError(err)}.`)
  }
  if (size > maxBytes) {
    throw new InputFileError(path, `The ${what} '${path}' is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} accepted.`)
  }
  try {
    return fs.readFileSync(path)
  } catch (err) {
    throw new InputFileError(path, `Cannot read the ${what} '${path}': ${describeFsError(err)}.`)
  }
}

/** Reads `path` as UTF-8 text; see `readInputBytes`. */
export function readInputText (path: string, what: string, maxBytes: number): string {
  return Buffer.from(readInputBytes(path, what, maxBytes)).toString('utf8')
}

/** A short reason for a failed file system call: 'no such file', 'permission denied', ... */
export function describeFsError (err: unknown): string {
  const code = (err as { code?: string } | null)?.code
  switch (code) {
    case 'ENOENT': return 'no such file'
    case 'EACCES': case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'it is a directory'
    case 'ENOTDIR': return 'a folder in the path is not a directory'
    case 'ENOSPC': return 'no space left on the disk'
    default: return err instanceof Error ? err.message : String(err)
  }
}

function formatBytes (bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${bytes} bytes`
}
