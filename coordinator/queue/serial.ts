/**
 * Runs async tasks one at a time, in call order: every read-modify-write of
 * the queue goes through one of these, so two claims never lease one unit.
 */
export class SerialExecutor {
  private tail: Promise<unknown> = Promise.resolve()

  run<T> (task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    this.tail = result.catch(() => undefined)
    return result
  }
}
