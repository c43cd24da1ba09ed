/**
 * `node:util` parseArgs for the engine commands, with every flag problem
 * (unknown flag, missing value, bad number) turned into a UsageError that
 * carries the command's usage line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../../src/cli/run-command.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses `args` strictly (no positionals); throws UsageError naming `usage`. */
// eslint-disable-next-line @typescript-eslint/explicit-function-return-type
export function parseFlags<T extends Options> (args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const }).values
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\.?\s*$/, '') : String(err)
    throw new UsageError(`${message}. Usage: ${usage}`)
  }
}

/** The value of a required string flag (`flag` without dashes, or as written, e.g. '-o'), or UsageError. */
export function requireFlag (value: string | undefined, flag: string, usage: string): string {
  const shown = flag.startsWith('-') ? flag : `--${flag}`
  if (value === undefined || value === '') throw new UsageError(`${shown} is required. Usage: ${usage}`)
  return value
}

/** Parses an integer flag within [min, max]; UsageError otherwise. */
export function integerFlag (value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const trimmed = value.trim()
  const parsed = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : /^\d+(\.\d+)?e\+?\d+$/i.test(trimmed) ? Number(trimmed) : Number.NaN
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${flag} must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`}, got '${value}'.`)
  }
  return parsed
}

/** `--property KEY=VALUE` flags as OpenMM platform properties. */
export function parseProperties (pairs: string[]): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`--property takes KEY=VALUE (e.g. CudaPrecision=mixed), got '${pair}'.`)
    properties[pair.slice(0, at).trim()] = pair.slice(at + 1).trim()
  }
  return properties
}
