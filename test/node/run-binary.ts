/**
 * Runs the real `mdswarm-node` binary (bin/mdswarm-node.mjs through the
 * current Node.js) for CLI tests, and checks that an error is one clear line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const NODE_BINARY = path.join(REPO_ROOT, 'bin', 'mdswarm-node.mjs')

export function fixture (name: string, file: string): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', name, file)
}

export interface BinaryResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Starts `mdswarm-node <args>` (stdin closed, not a TTY). */
export function startBinary (args: string[], cwd = REPO_ROOT): ChildProcess {
  return spawn(process.execPath, [NODE_BINARY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MDSWARM_DEBUG: '' } })
}

/** Waits for a started binary and collects its output. */
export async function finished (child: ChildProcess): Promise<BinaryResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  return await new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status, signal) => { resolve({ status, signal, stdout, stderr }) })
  })
}

/** Runs `mdswarm-node <args>` to completion. */
export async function runBinary (args: string[], cwd?: string): Promise<BinaryResult> {
  return await finished(startBinary(args, cwd))
}

/** True when `stderr` is exactly one line naming the error class `name`, with no stack trace. */
export function isOneLineError (stderr: string, name: string): boolean {
  const lines = stderr.trimEnd().split('\n')
  return lines.length === 1 && lines[0].includes(`${name}: `) && !/\n\s+at /.test(stderr)
}
