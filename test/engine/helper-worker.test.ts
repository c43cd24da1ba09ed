/**
 * The helper-thread protocol (src/engine/kernels/helper-worker.ts) that the
 * reaction-field and PME kernels' second thread runs on: a request is
 * consumed before its task runs (so the next request, handed over as soon as
 * DONE is seen, can never be overwritten: the lost request that hung a CI run
 * for 60 s), a wake-up without a request runs nothing (it ran a phantom
 * task, as a notify arriving late can), a task that throws or a setup that
 * fails is an EngineError at once, and many back-to-back requests all
 * complete, once each.
 */
import test from 'ava'
import { EngineError } from '../../src/engine/errors.ts'
import { HelperWorker, type HelperWorkerSource } from '../../src/engine/kernels/helper-worker.ts'

const STOP = -1
/** Control words: request, done, then the task's output words. */
const REQUEST_SEEN = 2
const COUNT = 3
const CONTROL_WORDS = 4

/** A helper whose task records the request word as the task saw it, counts its runs and throws on request 2. */
class ProbeHelper extends HelperWorker {
  constructor (source: Partial<HelperWorkerSource> = {}, spin = false) {
    super({
      source: {
        setup: source.setup ?? '',
        takeMessage: '',
        runTask: source.runTask ?? `
    control[${REQUEST_SEEN}] = Atomics.load(control, 0)
    control[${COUNT}]++
    if (request === 2) throw new Error('asked to fail')`,
      },
      controlWords: CONTROL_WORDS,
      workerData: {},
      stopRequest: STOP,
      label: 'probe',
      helperSpinMs: spin ? 0.05 : 0,
      callerSpinMs: spin ? 0.05 : 0,
    })
  }

  /** Wakes the worker with no request, as the late notify of a request it already took does. */
  wakeWithoutRequest (): void {
    Atomics.notify(this.control, 0)
  }

  run (request: number): { seen: number, count: number } {
    this.request(request)
    this.waitDone()
    return { seen: this.control[REQUEST_SEEN], count: this.control[COUNT] }
  }
}

test('the request word is back to 0 (consumed) while the task runs', (t) => {
  const helper = new ProbeHelper()
  try {
    t.deepEqual(helper.run(1), { seen: 0, count: 1 })
    t.deepEqual(helper.run(3), { seen: 0, count: 2 })
  } finally {
    helper.close()
  }
})

for (const spin of [false, true]) {
  test(`20,000 back-to-back requests all run, once each (${spin ? 'spinning' : 'sleeping'} threads)`, (t) => {
    const helper = new ProbeHelper({}, spin)
    try {
      let last = { seen: -1, count: 0 }
      for (let k = 0; k < 20_000; k++) last = helper.run(1)
      t.deepEqual(last, { seen: 0, count: 20_000 })
    } finally {
      helper.close()
    }
  })
}

test('a wake-up without a request runs nothing (the worker waits again)', async (t) => {
  const helper = new ProbeHelper()
  try {
    t.deepEqual(helper.run(1), { seen: 0, count: 1 })
    for (let k = 0; k < 5; k++) {
      helper.wakeWithoutRequest()
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    t.deepEqual(helper.run(1), { seen: 0, count: 2 })
  } finally {
    helper.close()
  }
})

test('a task that throws is an EngineError, and the helper goes on serving', (t) => {
  const helper = new ProbeHelper()
  try {
    const error = t.throws(() => helper.run(2), { instanceOf: EngineError })
    t.regex(error!.message, /probe helper thread failed/)
    t.deepEqual(helper.run(1), { seen: 0, count: 2 })
  } finally {
    helper.close()
  }
})

test('a setup that fails is an EngineError at the first request, not a timeout', (t) => {
  const helper = new ProbeHelper({ setup: "throw new Error('setup broke')" })
  try {
    const started = Date.now()
    t.throws(() => helper.run(1), { instanceOf: EngineError, message: /probe helper thread failed/ })
    t.throws(() => helper.run(1), { instanceOf: EngineError, message: /probe helper thread failed/ })
    t.log(`answered in ${Date.now() - started} ms`)
  } finally {
    helper.close()
  }
})

test('close() while idle stops the worker; a closed helper reports closed', (t) => {
  const helper = new ProbeHelper()
  helper.run(1)
  helper.close()
  t.true(helper.closed)
  helper.close()
  t.true(helper.closed)
})
