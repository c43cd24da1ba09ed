/**
 * The home folder of a client command, created only where that is clearly
 * meant: its final folder is made when missing, but only inside a folder
 * that exists. `--home /nonexistent/dir/x` (a typo, a missing mount) is
 * refused with HomeParentMissingError instead of creating a tree from /.
 */
import fs from 'node:fs'
import path from 'node:path'
import { homePath, resolveHome } from '../../src/p2p/home.ts'
import { HomeParentMissingError } from './errors.ts'

/** Throws HomeParentMissingError when the home is missing and so is the folder it would be made in. */
export function checkHomeCreatable (flag?: string, env: NodeJS.ProcessEnv = process.env): void {
  const home = homePath(flag, env)
  if (fs.existsSync(home)) return
  const parent = path.dirname(home)
  if (!isFolder(parent)) throw new HomeParentMissingError(home, parent)
}

/** resolveHome (absolute, created mode 0700 when missing), after checkHomeCreatable. */
export function clientHome (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  checkHomeCreatable(flag, env)
  return resolveHome(flag, env)
}

function isFolder (folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory()
  } catch {
    return false
  }
}
