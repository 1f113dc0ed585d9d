/**
 * SQLite has one writer per database file. With the check-in writer thread
 * (modules/attendance/writer-thread.ts) two connections of one process write: the thread's, which
 * commits group after group of check-ins, and the event loop's, for everything else (a session
 * opened or closed, a roll-call mark, a new account). Left to SQLite's busy_timeout, the loop would
 * sleep inside SQLite — the whole server stopped — while the thread commits, and under a steady
 * stream of check-ins could lose the race for the lock again and again until the timeout.
 *
 * This lock hands SQLite's write lock over fairly through shared memory instead: the thread takes
 * it for each group's transaction and gives way between groups whenever the loop asks; the loop
 * asks, and waits without blocking (Atomics.waitAsync) for at most the thread's current group. The
 * loop goes first: a thread that finds the loop asking waits (Atomics.wait, blocking the thread
 * only) until the loop's write is done.
 *
 * Two flags in a SharedArrayBuffer, in Dekker's way (sequentially consistent atomics): each side
 * raises its own flag, then looks at the other's. `LOOP` — the loop wants or holds the lock;
 * `THREAD` — the thread is in a transaction.
 */
const LOOP = 0;
const THREAD = 1;

/** Atomics.waitAsync (ES2024; in V8 and so in Node since 16), not in the ES2023 library the server compiles against. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class SqliteWriteLock {
  readonly flags: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.flags = new Int32Array(buffer);
  }

  /**
   * The event loop's side: resolves once the thread is between transactions and will stay there
   * until `releaseLoop`. Fails (SQLITE_BUSY, which the server answers 503) if the thread holds its
   * transaction longer than `timeoutMs`.
   */
  async acquireLoop(timeoutMs: number): Promise<void> {
    Atomics.store(this.flags, LOOP, 1);
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.flags, THREAD) === 1) {
      const left = deadline - performance.now();
      const waited = left > 0 ? waitAsync(this.flags, THREAD, 1, left) : { async: false, value: 'timed-out' as const };
      const outcome = waited.async ? await waited.value : waited.value;
      if (outcome === 'timed-out' && Atomics.load(this.flags, THREAD) === 1) {
        this.releaseLoop();
        throw Object.assign(new Error('The check-in writer thread held the database longer than the deadline.'), { code: 'SQLITE_BUSY' });
      }
    }
  }

  /** The event loop's write is done: the thread may take the lock again. */
  releaseLoop(): void {
    Atomics.store(this.flags, LOOP, 0);
    Atomics.notify(this.flags, LOOP);
  }

  /** The thread's side, before its BEGIN: blocks the thread while the loop wants or holds the lock. */
  acquireThread(): void {
    for (;;) {
      Atomics.store(this.flags, THREAD, 1);
      if (Atomics.load(this.flags, LOOP) === 0) return;
      // The loop asked first: step back, wake it, and wait until it is done.
      this.releaseThread();
      Atomics.wait(this.flags, LOOP, 1);
    }
  }

  /** The thread's transaction ended (committed or rolled back). */
  releaseThread(): void {
    Atomics.store(this.flags, THREAD, 0);
    Atomics.notify(this.flags, THREAD);
  }
}

/** Which side of the lock a connection is on. */
export interface WriteLockSide {
  acquire(): Promise<void> | void;
  release(): void;
}

export function loopSide(lock: SqliteWriteLock, timeoutMs: number): WriteLockSide {
  return { acquire: () => lock.acquireLoop(timeoutMs), release: () => lock.releaseLoop() };
}

export function threadSide(lock: SqliteWriteLock): WriteLockSide {
  return { acquire: () => lock.acquireThread(), release: () => lock.releaseThread() };
}
