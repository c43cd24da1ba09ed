/** When a node leases one unit ahead: at once for unknown or short units, near the end of long ones. */
import test from 'ava'
import { AHEAD_COVER_MS, MAX_AHEAD, PrefetchPolicy } from '../../node/claim/prefetch-policy.ts'

test('an extra lease is due at once for an unknown system or a short unit, near the end of a long one', t => {
  const policy = new PrefetchPolicy(1000)
  t.is(policy.dueInMs([]), 0)
  t.is(policy.dueInMs([{ systemHash: 'a', stepsLeft: 1_000_000, runningForMs: 0 }]), 0, 'unknown speed: assume short')
  policy.noteFinished('a', 10_000, 10_000) // 1 ms per step
  t.is(policy.dueInMs([{ systemHash: 'a', stepsLeft: 500, runningForMs: 0 }]), 0, 'ends within the lead')
  t.is(policy.dueInMs([{ systemHash: 'a', stepsLeft: 5000, runningForMs: 1000 }]), 3000, '4 s left, 1 s lead')
  t.is(policy.dueInMs([{ systemHash: 'a', stepsLeft: 5000, runningForMs: 1000 }, { systemHash: 'b', stepsLeft: 5000, runningForMs: 0 }]), 0, 'the soonest-ending unit counts')
  policy.noteFinished('a', 10_000, 30_000) // slower now: the estimate moves towards 3 ms per step
  t.true(policy.dueInMs([{ systemHash: 'a', stepsLeft: 5000, runningForMs: 1000 }]) > 3000)
})

test('short units are held a few ahead, enough to cover AHEAD_COVER_MS of work per slot, never more than MAX_AHEAD', t => {
  const policy = new PrefetchPolicy(1000)
  t.is(policy.aheadWanted([{ systemHash: 'a', stepsLeft: 10, runningForMs: 0 }], 1), 1, 'unknown speed: the next unit only')
  policy.noteFinished('a', 10, 2) // 0.2 ms per step: a 10-step unit takes 2 ms
  t.is(policy.aheadWanted([{ systemHash: 'a', stepsLeft: 10, runningForMs: 0 }], 1), Math.min(MAX_AHEAD, Math.ceil(AHEAD_COVER_MS / 2)))
  t.is(policy.aheadWanted([{ systemHash: 'a', stepsLeft: 1, runningForMs: 0 }], 4), MAX_AHEAD, 'capped')
  t.is(policy.aheadWanted([{ systemHash: 'a', stepsLeft: 100_000, runningForMs: 0 }], 1), 1, 'long units: one ahead')
})
