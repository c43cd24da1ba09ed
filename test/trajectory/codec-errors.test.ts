import test from 'ava'
import { crc32 } from 'node:zlib'
import {
  ChunkStreamDecoder, DEFAULT_CHUNK_LIMITS, decodeFrames, encodeFrames, readChunkInfo, TRAJECTORY_CODEC_VERSION, verifyChunk
} from '../../src/trajectory/index.ts'
import { errorBound, maxAbsDifference, syntheticFrames } from './synthetic.ts'

const frames = syntheticFrames({ frames: 6, chainAtoms: 12, waters: 10, seed: 21 })
const chunk = encodeFrames(frames)

function withFixedCrc (bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes)
  new DataView(copy.buffer).setUint32(copy.length - 4, crc32(copy.subarray(0, copy.length - 4)), true)
  return copy
}

test('every truncation gives ChunkTruncatedError', t => {
  for (const length of [0, 1, 3, 4, 20, 47, 48, 49, 100, chunk.length >> 1, chunk.length - 5, chunk.length - 1]) {
    const error = t.throws(() => decodeFrames(chunk.subarray(0, length)))
    t.is(error?.name, 'ChunkTruncatedError', `length ${length}`)
  }
})

test('a flipped bit anywhere after the header gives ChunkChecksumMismatchError', t => {
  for (const at of [48, 60, 200, chunk.length >> 1, chunk.length - 5, chunk.length - 1]) {
    const corrupted = Uint8Array.from(chunk)
    corrupted[at] ^= 0x10
    t.is(t.throws(() => decodeFrames(corrupted))?.name, 'ChunkChecksumMismatchError', `byte ${at}`)
  }
})

test('corrupted content with a matching checksum still gives a typed error, never garbage', t => {
  for (const at of [70, 120, 300, chunk.length >> 1, chunk.length - 40, chunk.length - 8]) {
    const forged = Uint8Array.from(chunk)
    forged[at] ^= 0xff
    try {
      const decoded = decodeFrames(withFixedCrc(forged))
      // Some bytes (energies, raw low bits) decode to other valid values; then the output must still be finite.
      t.true(decoded.positionsNm.every(Number.isFinite))
    } catch (err) {
      t.true(['ChunkCorruptedError', 'ChunkTooLargeError'].includes((err as Error).name), `byte ${at}: ${(err as Error).name}`)
    }
  }
})

test('bad magic, unknown version, padding and oversize are typed', t => {
  const badMagic = Uint8Array.from(chunk); badMagic[0] = 0x41
  t.is(t.throws(() => decodeFrames(badMagic))?.name, 'ChunkCorruptedError')
  const future = Uint8Array.from(chunk); future[4] = TRAJECTORY_CODEC_VERSION + 1
  const versionError = t.throws(() => decodeFrames(future))
  t.is(versionError?.name, 'ChunkVersionError')
  const padded = new Uint8Array(chunk.length + 3); padded.set(chunk)
  t.is(t.throws(() => decodeFrames(padded))?.name, 'ChunkCorruptedError')
  t.is(t.throws(() => decodeFrames(chunk, { ...DEFAULT_CHUNK_LIMITS, maxChunkBytes: chunk.length - 1 }))?.name, 'ChunkTooLargeError')
  t.is(t.throws(() => decodeFrames(chunk, { ...DEFAULT_CHUNK_LIMITS, maxFrames: 5 }))?.name, 'ChunkTooLargeError')
  t.is(t.throws(() => decodeFrames(chunk, { ...DEFAULT_CHUNK_LIMITS, maxDecodedValues: 100 }))?.name, 'ChunkTooLargeError')
  // A header that announces a huge chunk is refused before anything is allocated.
  const huge = Uint8Array.from(chunk.subarray(0, 48)); new DataView(huge.buffer).setUint32(40, 0xfffffff0, true)
  t.is(t.throws(() => readChunkInfo(huge))?.name, 'ChunkTooLargeError')
})

test('chunks of the previous codec version (1) are refused with ChunkVersionError, even with a valid checksum', t => {
  t.is(TRAJECTORY_CODEC_VERSION, 2)
  const old = Uint8Array.from(chunk); old[4] = 1; old[5] = 0
  const error = t.throws(() => decodeFrames(withFixedCrc(old)))
  t.is(error?.name, 'ChunkVersionError')
  t.is(t.throws(() => readChunkInfo(old))?.name, 'ChunkVersionError')
})

test('the header describes the chunk without decoding it', t => {
  const info = verifyChunk(chunk)
  t.is(info.version, TRAJECTORY_CODEC_VERSION)
  t.is(info.frameCount, 6)
  t.is(info.atomCount, 42)
  t.is(info.firstStep, frames[0].step)
  t.is(info.lastStep, frames[5].step)
  t.is(info.precisionNm, 0.001)
  t.true(info.hasBox)
  t.is(info.byteLength, chunk.length)
})

test('a non-finite coordinate of a water hydrogen, in any frame, is refused with InvalidFramesError', t => {
  // Waters are coded from their oxygen; a bad hydrogen makes its molecule non-rigid, so it is still checked.
  const chainAtoms = 12
  for (const [frame, atom] of [[0, chainAtoms + 1], [4, chainAtoms + 3 * 5 + 2], [5, chainAtoms + 3 * 9 + 1]]) {
    for (const bad of [NaN, Infinity]) {
      const frames = syntheticFrames({ frames: 6, chainAtoms, waters: 10, seed: 5 })
      frames[frame].positionsNm[3 * atom + 1] = bad
      t.is(t.throws(() => encodeFrames(frames))?.name, 'InvalidFramesError', `frame ${frame}, atom ${atom}, ${bad}`)
    }
  }
})

test('invalid frames are refused with InvalidFramesError or CoordinateRangeError', t => {
  t.is(t.throws(() => encodeFrames([]))?.name, 'InvalidFramesError')
  const nan = syntheticFrames({ frames: 2 }); nan[1].positionsNm[4] = NaN
  t.is(t.throws(() => encodeFrames(nan))?.name, 'InvalidFramesError')
  const mixed = syntheticFrames({ frames: 2 }); (mixed[1] as { box: Float64Array | null }).box = null
  t.is(t.throws(() => encodeFrames(mixed))?.name, 'InvalidFramesError')
  t.is(t.throws(() => encodeFrames(syntheticFrames({ frames: 2 }), { atomSelection: [0, 999] }))?.name, 'InvalidFramesError')
  t.is(t.throws(() => encodeFrames(syntheticFrames({ frames: 2 }), { precisionNm: 0 }))?.name, 'InvalidFramesError')
  const backwards = syntheticFrames({ frames: 2 }).map((f, i) => ({ ...f, step: 10 - i }))
  t.is(t.throws(() => encodeFrames(backwards))?.name, 'InvalidFramesError')
  const far = syntheticFrames({ frames: 1, offsetNm: 3e7 })
  t.is(t.throws(() => encodeFrames(far, { precisionNm: 0.001 }))?.name, 'CoordinateRangeError')
  t.notThrows(() => encodeFrames(far, { lossless: true }))
})

test('streaming decode, one byte at a time, across several chunks', t => {
  const more = syntheticFrames({ frames: 9, chainAtoms: 12, waters: 10, seed: 22, firstStep: 1000 })
  const second = encodeFrames(more.slice(0, 4))
  const third = encodeFrames(more.slice(4), { lossless: true })
  const stream = new Uint8Array(chunk.length + second.length + third.length)
  stream.set(chunk); stream.set(second, chunk.length); stream.set(third, chunk.length + second.length)
  const decoder = new ChunkStreamDecoder()
  const decoded = []
  for (let i = 0; i < stream.length; i++) decoded.push(...decoder.push(stream.subarray(i, i + 1)))
  decoder.end()
  t.is(decoded.length, 3)
  t.deepEqual(decoded.map(c => c.frameCount), [6, 4, 5])
  t.true(maxAbsDifference(decoded[0].positionsNm, decodeFrames(chunk).positionsNm) === 0)
  t.true(decoded[2].lossless)
  t.true(maxAbsDifference(decoded[1].positionsNm.subarray(0, more[0].positionsNm.length), more[0].positionsNm) <= errorBound(0.001, 10))
  t.true(decoder.idle)
})

test('a stream that stops inside a chunk, or carries junk, fails with a typed error', t => {
  const decoder = new ChunkStreamDecoder()
  t.deepEqual(decoder.push(chunk.subarray(0, 100)), [])
  t.is(t.throws(() => decoder.end())?.name, 'ChunkTruncatedError')
  const junk = new ChunkStreamDecoder()
  t.is(t.throws(() => junk.push(new TextEncoder().encode('GET / HTTP/1.1')))?.name, 'ChunkCorruptedError')
  const headerOnly = new ChunkStreamDecoder()
  headerOnly.push(chunk.subarray(0, 10))
  t.is(t.throws(() => headerOnly.end())?.name, 'ChunkTruncatedError')
})
