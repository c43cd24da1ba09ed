import test from 'ava'
import { encodeMessage, f32Field, f64Field, MessageDecoder, PayloadReader, textField } from '../../src/engine-openmm/protocol/codec.ts'
import { decodeCheckpointMessage, decodeFrame, encodeInit, MessageType } from '../../src/engine-openmm/protocol/messages.ts'

function errorName (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as Error).name
  }
  return undefined
}

function frameMessage (): Uint8Array {
  return encodeMessage(MessageType.Frame, [f64Field([500, 1, -12.5, 30.25, 301]), f64Field([2, 0, 0, 0, 2, 0, 0, 0, 2]), f32Field([0.5, 1.5, 2.5, -1, 0, 1])])
}

test('a frame round-trips, float64 scalars and float32 positions', t => {
  const [message] = new MessageDecoder().push(frameMessage())
  const frame = decodeFrame(message)
  t.is(frame.step, 500)
  t.is(frame.potentialEnergy, -12.5)
  t.is(frame.temperatureK, 301)
  t.deepEqual([...frame.positionsNm], [0.5, 1.5, 2.5, -1, 0, 1])
  t.true(frame.positionsNm instanceof Float32Array)
  t.deepEqual([...(frame.box ?? [])], [2, 0, 0, 0, 2, 0, 0, 0, 2])
})

test('a checkpoint round-trips at full float64 precision, with no rng state', t => {
  const positions = [Math.PI, Math.E, 1 / 3]
  const bytes = encodeMessage(MessageType.Checkpoint, [f64Field([7, 0.014]), f64Field(positions), f64Field([0.1, 0.2, 0.3]), f64Field([])])
  const checkpoint = decodeCheckpointMessage(new MessageDecoder().push(bytes)[0])
  t.is(checkpoint.particleCount, 1)
  t.deepEqual([...checkpoint.positionsNm], positions)
  t.is(checkpoint.box, null)
  t.is(checkpoint.rngState, null)
})

test('messages fed one byte at a time come out whole and in order', t => {
  const stream = new Uint8Array([...frameMessage(), ...encodeMessage(MessageType.Progress, [f64Field([3])]), ...encodeInit({ platform: 'CPU', properties: { Threads: '1' }, seed: 1, wrapFrames: false }, { systemXml: '<System/>', integratorXml: '<Integrator/>', pdb: 'ATOM  é' })])
  const decoder = new MessageDecoder()
  const types: number[] = []
  for (const byte of stream) for (const m of decoder.push(new Uint8Array([byte]))) types.push(m.type)
  t.deepEqual(types, [MessageType.Frame, MessageType.Progress, MessageType.Init])
  t.notThrows(() => { decoder.end() })
})

test('INIT carries its texts intact (UTF-8)', t => {
  const [message] = new MessageDecoder().push(encodeInit({ platform: null, properties: {}, seed: null, wrapFrames: true }, { systemXml: 'Å-system', integratorXml: 'i', stateXml: undefined, pdb: 'p' }))
  const reader = new PayloadReader(message.payload)
  t.deepEqual(JSON.parse(reader.text()), { platform: null, properties: {}, seed: null, wrapFrames: true })
  t.is(reader.text(), 'Å-system')
  t.is(reader.text(), 'i')
  t.is(reader.text(), '')
  t.is(reader.text(), 'p')
  t.is(reader.f64().length, 0)
})

test('truncated, oversized and malformed input give OpenmmProtocolError', t => {
  const whole = frameMessage()
  const decoder = new MessageDecoder()
  t.deepEqual(decoder.push(whole.subarray(0, whole.length - 3)), [])
  t.is(errorName(() => { decoder.end() }), 'OpenmmProtocolError')

  const huge = new Uint8Array(8)
  new DataView(huge.buffer).setUint32(0, 2 ** 31, true)
  t.is(errorName(() => new MessageDecoder().push(huge)), 'OpenmmProtocolError')
  t.is(errorName(() => new MessageDecoder().push(new Uint8Array([0, 0, 0, 0]))), 'OpenmmProtocolError')

  // A field that announces more values than the message holds.
  const lying = encodeMessage(MessageType.Frame, [new Uint8Array([255, 255, 0, 0])])
  t.is(errorName(() => decodeFrame(new MessageDecoder().push(lying)[0])), 'OpenmmProtocolError')
  // Trailing bytes, wrong counts, invalid UTF-8.
  const trailing = encodeMessage(MessageType.Frame, [f64Field([1, 2, 3, 4, 5]), f64Field([]), f32Field([1, 2, 3]), f64Field([9])])
  t.is(errorName(() => decodeFrame(new MessageDecoder().push(trailing)[0])), 'OpenmmProtocolError')
  const badCount = encodeMessage(MessageType.Frame, [f64Field([1, 2]), f64Field([]), f32Field([1, 2, 3])])
  t.is(errorName(() => decodeFrame(new MessageDecoder().push(badCount)[0])), 'OpenmmProtocolError')
  const badText = encodeMessage(MessageType.Ready, [new Uint8Array([2, 0, 0, 0, 0xc3, 0x28])])
  t.is(errorName(() => new PayloadReader(new MessageDecoder().push(badText)[0].payload).text()), 'OpenmmProtocolError')
  t.is(errorName(() => decodeFrame(new MessageDecoder().push(encodeMessage(MessageType.Progress, [textField('x')]))[0])), 'OpenmmProtocolError')
})
