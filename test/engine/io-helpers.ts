/**
 * Shared pieces of the engine IO tests: fixture discovery, a temp folder per
 * test file, and Debian's Python (`/usr/bin/python3`, which has OpenMM 7.7
 * and mdtraj) for checks against OpenMM itself.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const fixturesRoot = path.join(repoRoot, 'test', 'fixtures')
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data')

/** Fixture folders that have a system.xml (FIXTURES builds them; none is fine). */
export function fixtureDirs (): string[] {
  if (!fs.existsSync(fixturesRoot)) return []
  return fs.readdirSync(fixturesRoot)
    .map(name => path.join(fixturesRoot, name))
    .filter(dir => fs.existsSync(path.join(dir, 'system.xml')))
}

export function readIfExists (file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined
}

export function makeTempDir (prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

const DEBIAN_PYTHON = '/usr/bin/python3'
const moduleCache = new Map<string, boolean>()

/** True when Debian's Python can import `module` (openmm, mdtraj). */
export function pythonHas (module: string): boolean {
  let has = moduleCache.get(module)
  if (has === undefined) {
    has = spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0
    moduleCache.set(module, has)
  }
  return has
}

/** Runs a Python script (JSON on stdin, JSON on stdout). */
export function runPython<T = unknown> (script: string, input: unknown = null): T {
  const result = spawnSync(DEBIAN_PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

/** Replaces the first match of `search` in `text`, failing loudly if it is absent (so a test never passes vacuously). */
export function replaceOnce (text: string, search: string | RegExp, replacement: string): string {
  const out = text.replace(search, replacement)
  if (out === text) throw new Error(`test setup: ${String(search)} not found`)
  return out
}
