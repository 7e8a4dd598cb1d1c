/**
 * Runs async tasks one at a time in call order. better-sqlite3 is synchronous but a batch builder
 * is async, so without this two appends could interleave inside one open transaction.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Run `task` after every previously queued task has settled. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task must not poison the queue for the next caller.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async drain(): Promise<void> {
    await this.#tail;
  }
}
