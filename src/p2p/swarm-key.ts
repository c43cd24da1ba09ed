/**
 * Pre-shared swarm keys for private networks (libp2p pnet), in the go-ipfs
 * file format: `/key/swarm/psk/1.0.0/\n/base16/\n<64 hex digits>`.
 * Every peer of a private network must use the same key.
 */
import fs from 'node:fs'
import path from 'node:path'
import { generateKey } from '@libp2p/pnet'
import { SwarmKeyError } from './errors.ts'

export const SWARM_KEY_FILE_NAME = 'swarm.key'
const SWARM_KEY_PATTERN = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-fA-F]{64}\s*$/
/** Bytes of a swarm key file as `generateKey` writes it. */
const SWARM_KEY_FILE_BYTES = 95

/** A new random swarm key (file contents). */
export function generateSwarmKey (): Uint8Array {
  const key = new Uint8Array(SWARM_KEY_FILE_BYTES)
  generateKey(key)
  return key
}

/** Checks a swarm key's format; returns the bytes pnet expects. Throws SwarmKeyError. */
export function parseSwarmKey (bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('utf8')
  if (!SWARM_KEY_PATTERN.test(text)) throw new SwarmKeyError('expected /key/swarm/psk/1.0.0/, /base16/ and 64 hex digits on three lines')
  return new Uint8Array(Buffer.from(text.trimEnd(), 'utf8'))
}

/** Reads and checks a swarm key file. Throws SwarmKeyError. */
export function readSwarmKeyFile (filePath: string): Uint8Array {
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(filePath)
  } catch (err) {
    throw new SwarmKeyError(`cannot read ${filePath} (${(err as Error).message})`)
  }
  return parseSwarmKey(bytes)
}

/**
 * The swarm key a process uses: the `--swarm-key FILE` given, else the key
 * file recorded by the home's coordinator, else `<home>/swarm.key` when the
 * home has one, else none (an open network).
 * Throws SwarmKeyError for a file that is missing or malformed.
 */
export function resolveSwarmKey (options: { file?: string, home: string, recorded?: string }): Uint8Array | undefined {
  const file = resolveSwarmKeyFile(options)
  return file !== undefined ? readSwarmKeyFile(file) : undefined
}

/**
 * The swarm key file a process uses, as an absolute path: `file` (the
 * `--swarm-key` flag), else `recorded` (the key file the home's coordinator
 * wrote into its coordinator.json), else `<home>/swarm.key` when the home has
 * one, else undefined (an open network).
 */
export function resolveSwarmKeyFile (options: { file?: string, home: string, recorded?: string }): string | undefined {
  if (options.file !== undefined && options.file !== '') return path.resolve(options.file)
  if (options.recorded !== undefined && options.recorded !== '') return path.resolve(options.recorded)
  const inHome = path.join(options.home, SWARM_KEY_FILE_NAME)
  return fs.existsSync(inHome) ? inHome : undefined
}

/**
 * Writes a new random swarm key to `filePath` (mode 0600). Refuses to
 * overwrite an existing file unless `overwrite`: replacing a key cuts every
 * peer that has the old one out of the network.
 */
export function writeSwarmKeyFile (filePath: string, options: { overwrite?: boolean } = {}): void {
  const key = generateSwarmKey()
  try {
    fs.writeFileSync(filePath, key, { mode: 0o600, flag: options.overwrite === true ? 'w' : 'wx' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new SwarmKeyError(`${filePath} already exists; replacing it would cut off every peer that uses it (pass --force to replace it anyway)`)
    throw new SwarmKeyError(`cannot write ${filePath} (${(err as Error).message})`)
  }
}
