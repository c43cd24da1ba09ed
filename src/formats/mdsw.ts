/**
 * `.mdsw`: mdswarm's own trajectory container. It holds the job's topology
 * and metadata, then the trajectory chunks exactly as nodes sent them and the
 * coordinator stored them (src/trajectory), so the coordinator exports a job
 * by copying bytes, without decoding or re-encoding.
 *
 * Layout:
 *   'MDSW' | version u16 LE | flags u16 LE (0) | metadata length u32 LE |
 *   metadata: UTF-8 JSON (MdswMetadata) |
 *   chunks, back to back (each chunk's header carries its own length and CRC32).
 *
 * @example
 * const writer = MdswWriter.create('run.mdsw', { atomCount: 2272, topology })
 * writer.appendChunk(chunkBytes)            // as stored; or writer.appendFrames(frames)
 * writer.close()
 * const { metadata, frames } = readMdswFrames(fs.readFileSync('run.mdsw'))
 */
import * as fs from 'node:fs'
import type { Frame } from '../engine/frame.ts'
import type { Topology } from '../engine/topology.ts'
import { chunkFrames, decodeFrames, encodeFrames, verifyChunk, type EncodeOptions } from '../trajectory/chunk.ts'
import { CHUNK_HEADER_BYTES, DEFAULT_CHUNK_LIMITS, type ChunkLimits } from '../trajectory/constants.ts'
import { readChunkInfo } from '../trajectory/chunk.ts'

/** A file that is not a readable .mdsw container. */
export class MdswFormatError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MdswFormatError'
  }
}

export const MDSW_VERSION = 1
const MAGIC = [0x4d, 0x44, 0x53, 0x57] // 'MDSW'
const PREAMBLE_BYTES = 12
const MAX_METADATA_BYTES = 64 * 1024 * 1024

/** Topology as stored in the JSON metadata. */
export interface MdswTopology {
  atomNames: string[]
  elements: string[]
  residueNames: string[]
  residueNumbers: number[]
  chainIds: string[]
  isHetatm: number[]
}

export interface MdswMetadata {
  /** Atoms per frame in the chunks (after any atom selection). */
  atomCount: number
  /** Per-atom names and residues of those atoms, when known. */
  topology?: MdswTopology
  /** Free text: job name, source file. */
  title?: string
  /** Integration step, ps. */
  stepSizePs?: number
  /** Steps between frames. */
  reportEvery?: number
  /** Indices of the kept atoms in the simulated system, when a selection was applied. */
  atomSelection?: number[]
  createdBy?: string
  /** Other fields are kept as they are. */
  [key: string]: unknown
}

export function topologyToJson (topology: Topology): MdswTopology {
  return {
    atomNames: topology.atomNames.slice(),
    elements: topology.elements.slice(),
    residueNames: topology.residueNames.slice(),
    residueNumbers: Array.from(topology.residueNumbers),
    chainIds: topology.chainIds.slice(),
    isHetatm: Array.from(topology.isHetatm)
  }
}

export function topologyFromJson (json: MdswTopology, atomCount: number): Topology {
  const fields = [json.atomNames, json.elements, json.residueNames, json.residueNumbers, json.chainIds, json.isHetatm]
  if (fields.some(field => !Array.isArray(field) || field.length !== atomCount)) throw new MdswFormatError(`The .mdsw topology does not describe exactly ${atomCount} atoms.`)
  return {
    atomCount,
    atomNames: json.atomNames.map(String),
    elements: json.elements.map(String),
    residueNames: json.residueNames.map(String),
    residueNumbers: Int32Array.from(json.residueNumbers, Number),
    chainIds: json.chainIds.map(String),
    isHetatm: Uint8Array.from(json.isHetatm, Number)
  }
}

/** The bytes before the first chunk. */
export function encodeMdswHeader (metadata: MdswMetadata): Uint8Array {
  if (!Number.isInteger(metadata.atomCount) || metadata.atomCount < 1) throw new MdswFormatError(`An .mdsw file needs a positive atom count, got ${metadata.atomCount}.`)
  const json = new TextEncoder().encode(JSON.stringify({ createdBy: 'mdswarm', ...metadata }))
  const out = new Uint8Array(PREAMBLE_BYTES + json.length)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  view.setUint16(4, MDSW_VERSION, true)
  view.setUint16(6, 0, true)
  view.setUint32(8, json.length, true)
  out.set(json, PREAMBLE_BYTES)
  return out
}

export interface MdswContents {
  readonly metadata: MdswMetadata
  readonly topology: Topology | null
  /** The chunks, as views into the file's bytes (verified: length and CRC32). */
  readonly chunks: Uint8Array[]
}

/** Parses a whole .mdsw file: metadata and verified chunk views. Throws MdswFormatError (wrapping the codec's typed error as `cause`). */
export function readMdsw (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): MdswContents {
  if (bytes.length < PREAMBLE_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) throw new MdswFormatError('This is not an .mdsw file (it does not start with MDSW).')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint16(4, true)
  if (version !== MDSW_VERSION) throw new MdswFormatError(`This .mdsw file has version ${version}; this mdswarm reads version ${MDSW_VERSION}. Upgrade mdswarm.`)
  const metadataLength = view.getUint32(8, true)
  if (metadataLength > MAX_METADATA_BYTES || PREAMBLE_BYTES + metadataLength > bytes.length) throw new MdswFormatError('This .mdsw file is truncated or corrupted (its metadata runs past the end).')
  let metadata: MdswMetadata
  try {
    metadata = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + metadataLength))) as MdswMetadata
  } catch (err) {
    throw new MdswFormatError('This .mdsw file\'s metadata is not valid JSON (the file is corrupted).', { cause: err })
  }
  if (metadata === null || typeof metadata !== 'object' || !Number.isInteger(metadata.atomCount) || metadata.atomCount < 1) throw new MdswFormatError('This .mdsw file\'s metadata lacks a valid atomCount.')
  const topology = metadata.topology !== undefined ? topologyFromJson(metadata.topology, metadata.atomCount) : null
  const chunks: Uint8Array[] = []
  let offset = PREAMBLE_BYTES + metadataLength
  while (offset < bytes.length) {
    try {
      const info = readChunkInfo(bytes.subarray(offset, offset + CHUNK_HEADER_BYTES), limits)
      const chunk = bytes.subarray(offset, offset + info.byteLength)
      verifyChunk(chunk, limits)
      if (info.atomCount !== metadata.atomCount) throw new MdswFormatError(`Chunk ${chunks.length + 1} of this .mdsw file has ${info.atomCount} atoms, its metadata says ${metadata.atomCount}.`)
      chunks.push(chunk)
      offset += info.byteLength
    } catch (err) {
      if (err instanceof MdswFormatError) throw err
      throw new MdswFormatError(`Chunk ${chunks.length + 1} of this .mdsw file (at byte ${offset}) cannot be read: ${(err as Error).message}`, { cause: err })
    }
  }
  return { metadata, topology, chunks }
}

/** Reads and decodes every frame of an .mdsw file. */
export function readMdswFrames (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): { metadata: MdswMetadata, topology: Topology | null, frames: Frame[] } {
  const contents = readMdsw(bytes, limits)
  const frames: Frame[] = []
  for (const chunk of contents.chunks) frames.push(...chunkFrames(decodeFrames(chunk, limits)))
  return { metadata: contents.metadata, topology: contents.topology, frames }
}

/** An .mdsw file in memory. */
export function encodeMdsw (metadata: MdswMetadata, chunks: Iterable<Uint8Array>): Uint8Array {
  const parts = [encodeMdswHeader(metadata)]
  for (const chunk of chunks) parts.push(chunk)
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.length }
  return out
}

/** Frames per chunk when MdswWriter encodes frames itself. */
export const MDSW_FRAMES_PER_CHUNK = 100

/** Streams an .mdsw file: the header at creation, then chunks (stored ones, or frames it encodes). */
export class MdswWriter {
  private readonly pending: Frame[] = []
  private closed = false
  private constructor (private readonly fd: number, private readonly atomCount: number, private readonly encodeOptions: EncodeOptions, private readonly framesPerChunk: number) {}

  static create (path: string, metadata: MdswMetadata, encodeOptions: EncodeOptions = {}, framesPerChunk = MDSW_FRAMES_PER_CHUNK): MdswWriter {
    const header = encodeMdswHeader(metadata)
    const fd = fs.openSync(path, 'w')
    fs.writeSync(fd, header)
    return new MdswWriter(fd, metadata.atomCount, encodeOptions, framesPerChunk)
  }

  /** Appends an encoded chunk as it is (verified first). */
  appendChunk (chunk: Uint8Array): void {
    this.flushFrames()
    const info = verifyChunk(chunk)
    if (info.atomCount !== this.atomCount) throw new MdswFormatError(`A chunk of ${info.atomCount} atoms cannot go into an .mdsw file of ${this.atomCount} atoms.`)
    fs.writeSync(this.fd, chunk)
  }

  /** Adds a frame; frames are encoded framesPerChunk at a time. */
  appendFrame (frame: Frame): void {
    if (this.closed) throw new MdswFormatError('This .mdsw writer is closed.')
    this.pending.push(frame)
    if (this.pending.length >= this.framesPerChunk) this.flushFrames()
  }

  private flushFrames (): void {
    if (this.pending.length === 0) return
    const chunk = encodeFrames(this.pending, this.encodeOptions)
    this.pending.length = 0
    fs.writeSync(this.fd, chunk)
  }

  close (): void {
    if (this.closed) return
    this.flushFrames()
    this.closed = true
    fs.closeSync(this.fd)
  }
}
