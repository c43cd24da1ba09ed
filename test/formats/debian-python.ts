/**
 * Runs Debian's Python (`/usr/bin/python3`, the interpreter that has OpenMM
 * 7.7 and mdtraj) for tests that check mdswarm against them.
 */
import { spawnSync } from 'node:child_process'

export const DEBIAN_PYTHON = '/usr/bin/python3'

/** True when `/usr/bin/python3 -c 'import <module>'` succeeds. */
export function pythonHasModule (module: string): boolean {
  const result = spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' })
  return result.status === 0
}

/** Runs `code` with `input` as JSON on stdin; returns stdout parsed as JSON. Throws with stderr on failure. */
export function runPythonJson<T = unknown> (code: string, input: unknown = null, cwd?: string): T {
  const result = spawnSync(DEBIAN_PYTHON, ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', cwd, maxBuffer: 256 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}
