import test from 'ava'
import type { Frame } from '../../src/engine/frame.ts'
import { decodeChunk, encodeChunk, readChunkHeader, chunkByteLength } from '../../src/wire/chunk-codec.ts'

function makeFrames (count: number, atoms: number, withBox: boolean): Frame[] {
  return Array.from({ length: count }, (_, f) => {
    const positionsNm = new Float32Array(3 * atoms)
    for (let i = 0; i < positionsNm.length; i++) positionsNm[i] = Math.fround(Math.sin(f * 1000 + i) * 3)
    const box = withBox ? Float64Array.from([3, 0, 0, 0.1, 3, 0, 0.2, 0.3, 3 + f * 0.01]) : null
    return { step: 1000 + f * 100, timePs: (1000 + f * 100) * 0.002, positionsNm, box, potentialEnergy: -1234.5 + f, kineticEnergy: 456.25, temperatureK: 300.5 + f }
  })
}

test('round trip without a box', t => {
  const frames = makeFrames(5, 22, false)
  const bytes = encodeChunk(frames)
  t.is(bytes.byteLength, chunkByteLength(5, 22, false))
  t.deepEqual(decodeChunk(bytes), frames)
})

test('round trip with a box per frame', t => {
  const frames = makeFrames(3, 7, true)
  t.deepEqual(decodeChunk(encodeChunk(frames)), frames)
})

test('an atom selection keeps only those atoms, in order', t => {
  const frames = makeFrames(2, 10, false)
  const selection = [9, 0, 4]
  const decoded = decodeChunk(encodeChunk(frames, selection))
  t.is(readChunkHeader(encodeChunk(frames, selection)).atomCount, 3)
  for (let f = 0; f < 2; f++) {
    selection.forEach((atom, i) => {
      for (let k = 0; k < 3; k++) t.is(decoded[f].positionsNm[3 * i + k], frames[f].positionsNm[3 * atom + k])
    })
  }
})

test('a chunk decoded from an unaligned view (offset into a larger buffer) is the same', t => {
  const frames = makeFrames(2, 5, true)
  const bytes = encodeChunk(frames)
  const big = new Uint8Array(bytes.byteLength + 3)
  big.set(bytes, 3)
  t.deepEqual(decodeChunk(big.subarray(3)), frames)
})

test('every truncation is ChunkFormatError', t => {
  const bytes = encodeChunk(makeFrames(2, 4, true))
  for (let length = 0; length < bytes.byteLength; length++) {
    t.is(t.throws(() => decodeChunk(bytes.subarray(0, length)))?.name, 'ChunkFormatError', `length ${length}`)
  }
})

test('trailing bytes are ChunkFormatError', t => {
  const bytes = encodeChunk(makeFrames(1, 4, false))
  const padded = new Uint8Array(bytes.byteLength + 1)
  padded.set(bytes)
  t.is(t.throws(() => decodeChunk(padded))?.name, 'ChunkFormatError')
})

test('a flipped bit anywhere after the header is ChunkChecksumError; in the header a typed error', t => {
  const bytes = encodeChunk(makeFrames(2, 4, true))
  for (let i = 0; i < bytes.byteLength; i++) {
    const copy = bytes.slice()
    copy[i] ^= 0x10
    const name = t.throws(() => decodeChunk(copy))?.name
    if (i >= 16) t.is(name, 'ChunkChecksumError', `byte ${i}`)
    else t.true(name === 'ChunkFormatError' || name === 'ChunkChecksumError', `byte ${i}: ${name}`)
  }
})

test('a header announcing huge sizes fails on length, before allocating', t => {
  const bytes = encodeChunk(makeFrames(1, 4, false))
  const view = new DataView(bytes.buffer)
  view.setUint32(8, 1_000_000, true)
  view.setUint32(12, 10_000_000, true)
  t.is(t.throws(() => decodeChunk(bytes))?.name, 'ChunkFormatError')
  view.setUint32(8, 0xffffffff, true)
  t.is(t.throws(() => decodeChunk(bytes))?.name, 'ChunkFormatError')
})

test('random garbage is always a typed chunk error', t => {
  let seed = 12345
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  for (let n = 0; n < 500; n++) {
    const bytes = Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256))
    if (n % 2 === 0 && bytes.byteLength >= 4) bytes.set([0x4d, 0x44, 0x53, 0x43, 1, 0], 0) // valid magic + version
    const name = t.throws(() => decodeChunk(bytes))?.name
    t.true(name === 'ChunkFormatError' || name === 'ChunkChecksumError', `${name}`)
  }
})

test('non-finite values are refused on decode (a bad node cannot store NaN frames)', t => {
  const frames = makeFrames(1, 2, false)
  frames[0].positionsNm[3] = NaN
  t.is(t.throws(() => decodeChunk(encodeChunk(frames)))?.name, 'ChunkFormatError')
})

test('encoding refuses mixed atom counts, mixed boxes, bad selections and empty chunks', t => {
  t.is(t.throws(() => encodeChunk([]))?.name, 'ChunkFormatError')
  t.is(t.throws(() => encodeChunk([...makeFrames(1, 3, false), ...makeFrames(1, 4, false)]))?.name, 'ChunkFormatError')
  t.is(t.throws(() => encodeChunk([...makeFrames(1, 3, false), ...makeFrames(1, 3, true)]))?.name, 'ChunkFormatError')
  t.is(t.throws(() => encodeChunk(makeFrames(1, 3, false), [3]))?.name, 'ChunkFormatError')
})
