import test from 'ava'
import { ReadyIndex } from '../../coordinator/store/ready-index.ts'
import { readyKey } from '../../coordinator/store/keys.ts'

test('walks units by priority, then age, then id, as LevelDB orders the keys', t => {
  const index = new ReadyIndex()
  const entries: Array<[number, number, string]> = [[0, 30, 'c'], [5, 40, 'hi'], [0, 10, 'a'], [0, 20, 'b'], [-3, 5, 'low'], [5, 40, 'hh']]
  for (const [priority, at, id] of entries) index.add(readyKey(priority, at, id), id)
  t.deepEqual([...index.unitIds()], ['hh', 'hi', 'a', 'b', 'c', 'low'])
  const sortedKeys = entries.map(([p, at, id]) => readyKey(p, at, id)).sort()
  t.deepEqual([...index.unitIds()], sortedKeys.map(k => k.split('!')[2]))
  t.is(index.size, 6)
})

test('removing the unit being looked at (a lease) or others does not derail a walk', t => {
  const index = new ReadyIndex()
  const ids = Array.from({ length: 10 }, (_, i) => `u${i}`)
  ids.forEach((id, i) => index.add(readyKey(0, i, id), id))
  const seen: string[] = []
  for (const id of index.unitIds()) {
    seen.push(id)
    const i = Number(id.slice(1))
    index.remove(readyKey(0, i, id))
    if (i === 2) index.remove(readyKey(0, 7, 'u7'))
  }
  t.deepEqual(seen, ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u8', 'u9'])
  t.is(index.size, 0)
})

test('adding twice and removing what is absent are harmless', t => {
  const index = new ReadyIndex()
  const key = readyKey(0, 1, 'x')
  index.add(key, 'x')
  index.add(key, 'x')
  index.remove(readyKey(0, 2, 'y'))
  t.deepEqual([...index.unitIds()], ['x'])
  index.remove(key)
  index.remove(key)
  t.deepEqual([...index.unitIds()], [])
})

test('replaceWith takes over another index', t => {
  const a = new ReadyIndex()
  const b = new ReadyIndex()
  a.add(readyKey(0, 1, 'old'), 'old')
  for (let i = 0; i < 3; i++) b.add(readyKey(0, i, `n${i}`), `n${i}`)
  a.replaceWith(b)
  t.deepEqual([...a.unitIds()], ['n0', 'n1', 'n2'])
  a.remove(readyKey(0, 1, 'n1'))
  t.deepEqual([...b.unitIds()], ['n0', 'n1', 'n2'])
  t.deepEqual([...a.unitIds()], ['n0', 'n2'])
})
