import test from 'ava'
import { Rng, RNG_STATE_WORDS } from '../../src/engine/rng.ts'
import { mean, standardDeviation } from './helpers/dynamics-fixtures.ts'

test('same seed gives the same stream, different seeds differ', t => {
  const a = new Rng(12345)
  const b = new Rng(12345)
  const c = new Rng(12346)
  const sa = Array.from({ length: 100 }, () => a.nextUint32())
  const sb = Array.from({ length: 100 }, () => b.nextUint32())
  const sc = Array.from({ length: 100 }, () => c.nextUint32())
  t.deepEqual(sa, sb)
  t.notDeepEqual(sa, sc)
  for (const x of sa) t.true(Number.isInteger(x) && x >= 0 && x < 2 ** 32)
})

test('state round trip continues the exact sequence, including a pending spare gaussian', t => {
  const rng = new Rng(7)
  rng.nextGaussian() // leaves a spare gaussian pending
  const saved = rng.state()
  t.is(saved.length, RNG_STATE_WORDS)
  const expected = [rng.nextGaussian(), rng.nextGaussian(), rng.nextDouble(), rng.nextUint32()]
  const restored = Rng.fromState(saved)
  t.deepEqual([restored.nextGaussian(), restored.nextGaussian(), restored.nextDouble(), restored.nextUint32()], expected)
  const inPlace = new Rng(99)
  inPlace.setState(saved)
  t.is(inPlace.nextGaussian(), expected[0])
})

test('invalid states and seeds are refused', t => {
  t.throws(() => Rng.fromState(new Uint32Array(3)), { instanceOf: RangeError })
  t.throws(() => Rng.fromState(new Uint32Array(RNG_STATE_WORDS)), { instanceOf: RangeError })
  t.throws(() => new Rng(Number.NaN), { instanceOf: RangeError })
})

test('doubles are uniform on [0,1) and gaussians standard normal (moments within 5 standard errors)', t => {
  const rng = new Rng(2024)
  const n = 200_000
  const doubles: number[] = []
  const gaussians: number[] = []
  let outOfRange = 0
  for (let i = 0; i < n; i++) {
    const d = rng.nextDouble()
    if (!(d >= 0 && d < 1)) outOfRange++
    doubles.push(d)
    gaussians.push(rng.nextGaussian())
  }
  t.is(outOfRange, 0)
  // Uniform: mean 1/2 (sd of the mean sqrt(1/12/n)), variance 1/12.
  t.true(Math.abs(mean(doubles) - 0.5) < 5 * Math.sqrt(1 / 12 / n))
  // Normal: mean 0 (se 1/sqrt(n)), sd 1 (se ~ 1/sqrt(2n)), fourth moment 3 (se ~ sqrt(96/n)).
  t.true(Math.abs(mean(gaussians)) < 5 / Math.sqrt(n))
  t.true(Math.abs(standardDeviation(gaussians) - 1) < 5 / Math.sqrt(2 * n))
  const fourth = mean(gaussians.map(g => g ** 4))
  t.true(Math.abs(fourth - 3) < 5 * Math.sqrt(96 / n))
})
