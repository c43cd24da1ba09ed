/**
 * Which Python runs the OpenMM helper: the one given (`--python PATH` or
 * MDSWARM_PYTHON), else the first of the usual candidates that can import
 * OpenMM (`openmm`, or `simtk.openmm` for OpenMM 7.x before 7.6):
 * Debian's `/usr/bin/python3`, the active conda environment's python, then
 * `python3` on PATH.
 *
 * @example
 * const python = findOpenmmPython({})          // '/usr/bin/python3'
 * const python2 = findOpenmmPython({ python: '/opt/conda/envs/md/bin/python' })
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants as fsConstants } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { OpenmmNotAvailableError } from './errors.ts'

/** The helper script that ships with the package. */
export const HELPER_PATH = fileURLToPath(new URL('./helper/openmm_helper.py', import.meta.url))

/** The environment variable that names the interpreter when no --python is given. */
export const PYTHON_ENV_VAR = 'MDSWARM_PYTHON'

/** Longest an import check may take, ms (importing OpenMM on a loaded machine takes seconds). */
const IMPORT_CHECK_TIMEOUT_MS = 60_000

const IMPORT_CHECK = [
  'try:',
  '    import openmm',
  'except ImportError:',
  '    from simtk import openmm',
].join('\n')

export interface InterpreterOptions {
  /** An explicit interpreter: used alone, no fallback. */
  readonly python?: string
  /** Environment to read PATH, CONDA_PREFIX and MDSWARM_PYTHON from (default process.env). */
  readonly env?: NodeJS.ProcessEnv
}

/** The interpreters to try, in order, without duplicates. An explicit one (option, then env var) is the only candidate. */
export function interpreterCandidates (options: InterpreterOptions = {}): string[] {
  const env = options.env ?? process.env
  const explicit = options.python ?? nonEmpty(env[PYTHON_ENV_VAR])
  if (explicit !== undefined) return [explicit]
  const candidates = ['/usr/bin/python3']
  const conda = nonEmpty(env.CONDA_PREFIX)
  if (conda !== undefined) candidates.push(path.join(conda, 'bin', 'python'))
  const onPath = findOnPath('python3', env.PATH ?? '')
  if (onPath !== undefined) candidates.push(onPath)
  return [...new Set(candidates)]
}

const importCache = new Map<string, boolean>()

/** True when `python` runs and imports OpenMM (cached per interpreter for this process). */
export function canImportOpenmm (python: string): boolean {
  const cached = importCache.get(python)
  if (cached !== undefined) return cached
  const result = spawnSync(python, ['-c', IMPORT_CHECK], { stdio: 'ignore', timeout: IMPORT_CHECK_TIMEOUT_MS })
  const ok = result.status === 0
  importCache.set(python, ok)
  return ok
}

/** Records that `python` imports OpenMM (found by detection), sparing a second check. */
export function rememberImportable (python: string): void {
  importCache.set(python, true)
}

/** The interpreter to run the helper with; OpenmmNotAvailableError naming what was tried when none imports OpenMM. */
export function findOpenmmPython (options: InterpreterOptions = {}): string {
  const candidates = interpreterCandidates(options)
  for (const python of candidates) {
    if (canImportOpenmm(python)) return python
  }
  const explicit = candidates.length === 1 && (options.python !== undefined || nonEmpty((options.env ?? process.env)[PYTHON_ENV_VAR]) !== undefined)
  throw new OpenmmNotAvailableError(explicit
    ? `The Python interpreter ${candidates[0]} cannot import OpenMM. Install OpenMM for it (conda install -c conda-forge openmm, or apt-get install python3-openmm) or give another with --python.`
    : `No Python interpreter that can import OpenMM was found (tried ${candidates.join(', ')}). Install OpenMM (conda install -c conda-forge openmm, or apt-get install python3-openmm) or name the interpreter with --python PATH.`)
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function findOnPath (name: string, pathVariable: string): string | undefined {
  for (const dir of pathVariable.split(path.delimiter)) {
    if (dir === '') continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}
