/**
 * Payloads (System/Integrator XML, PDB, State, checkpoints) cached on disk
 * under `<home>/payloads/<aa>/<sha256 hex>`, named by their content hash.
 * Every read re-hashes the file; a file whose bytes no longer match its name
 * is deleted and reported as missing, so it is fetched again.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

const HASH_PATTERN = /^[0-9a-f]{64}$/

/** A payload whose bytes do not hash to the hash it was asked for. */
export class PayloadHashMismatchError extends Error {
  readonly expectedHash: string
  readonly actualHash: string
  constructor (expectedHash: string, actualHash: string) {
    super(`Payload ${expectedHash.slice(0, 12)}… has the wrong content (its sha256 is ${actualHash.slice(0, 12)}…); it was corrupted in transit or on disk.`)
    this.name = 'PayloadHashMismatchError'
    this.expectedHash = expectedHash
    this.actualHash = actualHash
  }
}

/** A hash that is not 64 lowercase hex digits. */
export class InvalidPayloadHashError extends Error {
  constructor (hash: string) {
    super(`'${hash.slice(0, 80)}' is not a sha256 hex digest.`)
    this.name = 'InvalidPayloadHashError'
  }
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export class PayloadCache {
  readonly directory: string

  constructor (home: string) {
    this.directory = path.join(home, 'payloads')
  }

  private fileFor (hash: string): string {
    if (!HASH_PATTERN.test(hash)) throw new InvalidPayloadHashError(hash)
    return path.join(this.directory, hash.slice(0, 2), hash)
  }

  /** The verified bytes for `hash`, or undefined when absent (or found corrupt and removed). */
  async get (hash: string): Promise<Uint8Array | undefined> {
    const file = this.fileFor(hash)
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    if (sha256Hex(bytes) !== hash) {
      await rm(file, { force: true })
      return undefined
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Stores `bytes` under `hash` after checking they hash to it (atomic rename). */
  async put (hash: string, bytes: Uint8Array): Promise<void> {
    const file = this.fileFor(hash)
    const actual = sha256Hex(bytes)
    if (actual !== hash) throw new PayloadHashMismatchError(hash, actual)
    await mkdir(path.dirname(file), { recursive: true })
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(temporary, bytes)
    await rename(temporary, file)
  }

  /** Cached bytes, or `fetch(hash)` verified and stored. */
  async getOrFetch (hash: string, fetch: (hash: string) => Promise<Uint8Array>): Promise<Uint8Array> {
    const cached = await this.get(hash)
    if (cached !== undefined) return cached
    const bytes = await fetch(hash)
    await this.put(hash, bytes)
    return bytes
  }
}
