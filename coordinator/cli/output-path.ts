/**
 * Checks an output file's folder before any work (a download, a conversion):
 * a missing or read-only folder is one clear line naming the file the user
 * gave, not a raw ENOENT about an internal temporary file at the end.
 */
import fs from 'node:fs'
import path from 'node:path'
import { OutputFolderMissingError, OutputFolderNotWritableError } from './errors.ts'

/** Throws OutputFolderMissingError / OutputFolderNotWritableError when `file` cannot be written where it is. */
export function checkOutputFolder (file: string): void {
  const folder = path.dirname(path.resolve(file))
  let isFolder = false
  try {
    isFolder = fs.statSync(folder).isDirectory()
  } catch {}
  const shown = path.dirname(file) === '.' ? folder : path.dirname(file)
  if (!isFolder) throw new OutputFolderMissingError(file, shown)
  try {
    fs.accessSync(folder, fs.constants.W_OK)
  } catch {
    throw new OutputFolderNotWritableError(file, shown)
  }
}
