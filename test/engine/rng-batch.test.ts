import test from 'ava'
import { Rng } from '../../src/engine/rng.ts'

test('fillGaussians gives exactly the values and state of as many nextGaussian calls', t => {
  for (const seed of [1, 7, 2024]) {
    const batched = new Rng(seed)
    const single = new Rng(seed)
    // odd and even counts, zero, and a spare carried from one batch into the next
    for (const count of [66, 1, 3, 0, 65, 2, 7, 64, 5]) {
      const out = new Float64Array(count + 4).fill(Number.NaN)
      batched.fillGaussians(out, 2, count)
      const expected = Array.from({ length: count }, () => single.nextGaussian())
      t.deepEqual(Array.from(out.subarray(2, 2 + count)), expected)
      t.true(Number.isNaN(out[0]) && Number.isNaN(out[1]) && Number.isNaN(out[2 + count]), 'writes only its slots')
      t.deepEqual(batched.state(), single.state())
    }
  }
})

test('a state saved between batches continues the same batched stream', t => {
  const rng = new Rng(11)
  const out = new Float64Array(9)
  rng.fillGaussians(out, 0, 9) // leaves a spare pending
  const saved = rng.state()
  const expected = new Float64Array(66)
  rng.fillGaussians(expected, 0, 66)
  const restored = Rng.fromState(saved)
  const again = new Float64Array(66)
  restored.fillGaussians(again, 0, 66)
  t.deepEqual(again, expected)
})
