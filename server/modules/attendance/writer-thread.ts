import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { SqliteWriterSetup } from '../../db/kysely.js';
import type { OutboxEventType, Subscribers } from '../webhooks/outbox.repository.js';
import type { AttemptOutcome, ClaimedDelivery, ClaimOptions } from '../webhooks/webhooks.repository.js';
import { reviveError, type CarriedError } from './carried-error.js';
import type { CheckinCommand, CommandResult } from './record-writer.js';

/**
 * The check-in writer thread (SQLite). A self check-in's transaction — its reads, its three
 * inserts and above all its group's COMMIT, which appends every page the group touched to the WAL —
 * was about 85 µs of a check-in's 0.25 ms on the event loop, the loop being what limits the
 * server's check-ins per second on SQLite (docs/performance-history.md, "SQLite: check-ins on a writer
 * thread"). Here the whole command runs on a worker thread with its own connection to the database
 * file and its own group commit: the loop sends the command and gets its result back, one message
 * each way, and publishes the changes after the commit as before.
 *
 * - Self check-ins come here (code, QR, link, device scans), and the webhook deliveries' claims and
 *   outcomes (which follow every check-in when an endpoint subscribes): the rest of the writes stay on the
 *   loop's connection, and the two share SQLite's one write lock fairly through
 *   db/sqlite-write-lock.ts (the thread gives way between groups whenever the loop asks).
 * - A command is data (CheckinCommand, the student's admission an AdmitRule); errors come back as
 *   data (carried-error.ts) and are thrown again as they were. The check-ins of one turn of the
 *   event loop go in one message, and a group's answers come back in one.
 * - A check-in the thread took but did not answer within twice the statement timeout (at least 1 s),
 *   or whose thread stopped, is answered 503 (`unavailable`, try again): it may or may not have been
 *   committed, and a retry is answered `alreadyCheckedIn` if it was. One committed after its
 *   deadline is still published (`lateCheckin`). A stopped thread is started again; until it runs, the
 *   loop writes check-ins itself (`run` answers undefined).
 */
export class CheckinWriterThread {
  /** What the threads' group commits committed (metrics: units per commit). */
  committed = { transactions: 0, units: 0 };
  /** What the threads stopped before the current one committed. */
  private earlier = { transactions: 0, units: 0 };
  private worker: Worker | null = null;
  /** The thread's answers come on a channel of their own, so that `drain` can take them early. */
  private replies: MessagePort | null = null;
  private readonly pending = new Map<number, { resolve(r: unknown): void; reject(e: Error): void; at: number; checkin: boolean }>();
  private nextId = 1;
  private outgoing: WriterRequest[] = [];
  private closing = false;
  private readonly sweeper: NodeJS.Timeout;
  private restartTimer: NodeJS.Timeout | null = null;

  private readonly log: (err: Error) => void;
  private readonly lateCheckin: (result: CommandResult) => void;
  private readonly deadlineMs: number;
  /** Check-ins answered 503 at their deadline whose answer may still come (see `settle`). */
  private readonly expired = new Set<number>();

  constructor(
    private readonly setup: SqliteWriterSetup,
    options: {
      log: (err: Error) => void;
      /** A check-in committed after its deadline had answered it 503: its changes are still published. */
      lateCheckin: (result: CommandResult) => void;
    },
  ) {
    this.log = options.log;
    this.lateCheckin = options.lateCheckin;
    // How long a request may wait for the thread's answer.
    this.deadlineMs = Math.max(1000, setup.statementMs * 2);
    setup.inUse = true;
    this.start();
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, this.deadlineMs));
    this.sweeper.unref();
  }

  /** Runs the check-in on the thread; undefined while no thread runs (the caller writes it itself). */
  run(command: CheckinCommand, subscribers: Subscribers): Promise<CommandResult> | undefined {
    return this.send({ op: 'checkin', command: dataOf(command), subscribers: subscriberLists(subscribers) }) as Promise<CommandResult> | undefined;
  }

  /**
   * The webhook deliveries' claim and their outcomes (webhooks.repository.ts) on the thread too: with
   * an endpoint on every event they are a write per few check-ins, each committed on its own, and on
   * the event loop's connection each would also wait for the thread's group to give way.
   */
  claimDeliveries(o: ClaimOptions): Promise<ClaimedDelivery[]> | undefined {
    return this.send({ op: 'claim', claim: o }) as Promise<ClaimedDelivery[]> | undefined;
  }

  recordDeliveryOutcomes(outcomes: readonly AttemptOutcome[]): Promise<void> | undefined {
    return this.send({ op: 'outcomes', outcomes }) as Promise<void> | undefined;
  }

  private send(op: WriterOp): Promise<unknown> | undefined {
    if (!this.worker) return undefined;
    this.drain();
    const id = this.nextId++;
    if (this.outgoing.length === 0) setImmediate(this.flush);
    this.outgoing.push({ id, ...op });
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, at: performance.now(), checkin: op.op === 'checkin' }));
  }

  /**
   * The check-ins of one turn of the event loop go in one message: a message costs the loop about
   * as much to send as a small check-in's statements did to run, whatever it carries.
   */
  private readonly flush = () => {
    const batch = this.outgoing;
    this.outgoing = [];
    // Without a thread (it stopped since), `exited` has already answered these 503.
    if (batch.length > 0) this.worker?.postMessage(batch);
  };

  /** A thread is running (or starting): check-ins go to it. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Stops the thread as a crash would (tests): its check-ins in flight get 503, and it is started again. */
  async crash(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Stops the thread for good (the server closes: no check-in is in flight by then). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
    this.replies?.close();
    this.replies = null;
    this.failPending();
    this.setup.inUse = false;
  }

  private start(): void {
    this.restartTimer = null;
    const here = import.meta.url;
    const typescript = here.endsWith('.ts');
    const entry = new URL(typescript ? './writer-thread.worker.ts' : './writer-thread.worker.js', here);
    const { port1: replies, port2 } = new MessageChannel();
    const data: WriterThreadData = { file: this.setup.file, lock: this.setup.lock.buffer, walAutocheckpoint: this.setup.walAutocheckpoint, entry: entry.href, replies: port2 };
    const worker = new Worker(typescript ? new URL('../../lib/ts-worker.mjs', here) : entry, { workerData: data, transferList: [port2] });
    worker.unref();
    replies.on('message', (m: WriterReplies) => this.answer(m));
    replies.unref();
    this.replies = replies;
    worker.on('error', (err) => this.log(Object.assign(new Error(`The check-in writer thread failed: ${err.message}`), { cause: err })));
    worker.on('exit', () => this.exited(worker));
    this.worker = worker;
  }

  /**
   * Takes the thread's answers that are already there, without waiting for their turn of the event
   * loop. In a burst one turn handles hundreds of new requests, and a message waits behind all of
   * them: the committed check-ins' replies and their live events to the teacher came a whole turn
   * late. Each new check-in (send) first settles what the thread has committed meanwhile.
   */
  private drain(): void {
    const port = this.replies;
    if (!port) return;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) this.answer(m.message as WriterReplies);
  }

  private answer(m: WriterReplies): void {
    this.setup.wrote(m.statements);
    this.committed = { transactions: this.earlier.transactions + m.committed.transactions, units: this.earlier.units + m.committed.units };
    for (const r of m.replies) this.settle(r.id, r.result, r.error);
  }

  private settle(id: number, result: unknown, error: CarriedError | undefined): void {
    const p = this.pending.get(id);
    if (!p) {
      if (this.expired.delete(id) && !error) this.lateCheckin(result as CommandResult);
      return;
    }
    this.pending.delete(id);
    if (error) p.reject(reviveError(error));
    else p.resolve(result);
  }

  private exited(worker: Worker): void {
    if (worker !== this.worker) return;
    this.worker = null;
    // Answers the thread sent before it stopped still count.
    this.drain();
    this.replies?.close();
    this.replies = null;
    this.earlier = { ...this.committed };
    // A thread stopped inside its transaction never gave the lock back; its connection is closed.
    this.setup.lock.releaseThread();
    this.failPending();
    if (this.closing) return;
    this.log(new Error('The check-in writer thread stopped; check-ins are written on the server thread until it is started again.'));
    this.restartTimer = setTimeout(() => this.start(), 1000);
    this.restartTimer.unref();
  }

  private failPending(): void {
    for (const p of this.pending.values()) p.reject(unanswered());
    this.pending.clear();
    this.expired.clear();
  }

  private sweep(): void {
    const oldest = performance.now() - this.deadlineMs;
    for (const [id, p] of this.pending) {
      if (p.at > oldest) break;
      this.pending.delete(id);
      if (p.checkin) this.expired.add(id);
      p.reject(unanswered());
    }
  }
}

/** 503 `unavailable` (errors.ts isUnavailableError: SQLITE_INTERRUPT), with Retry-After. */
const unanswered = () => Object.assign(new Error('The check-in writer thread did not answer.'), { code: 'SQLITE_INTERRUPT' });

/** The command without what is not data (the route's session object carries more than the writer reads). */
function dataOf(c: CheckinCommand): CheckinCommand {
  return { ...c, session: { id: c.session.id, courseId: c.session.courseId, courseCode: c.session.courseCode } };
}

const CHECKIN_EVENTS: OutboxEventType[] = ['record.created', 'record.updated'];

function subscriberLists(subscribers: Subscribers): Record<string, readonly string[]> {
  const lists: Record<string, readonly string[]> = {};
  for (const type of CHECKIN_EVENTS) lists[type] = subscribers.forType(type);
  return lists;
}

export interface WriterThreadData {
  file: string;
  lock: SharedArrayBuffer;
  walAutocheckpoint: number;
  /** The worker's module (ts-worker.mjs imports it under tsx). */
  entry: string;
  /** Where the thread sends its answers. */
  replies: MessagePort;
}

/** What the thread does: a check-in command, or a webhook delivery claim or outcomes. */
export type WriterOp =
  | { op: 'checkin'; command: CheckinCommand; subscribers: Record<string, readonly string[]> }
  | { op: 'claim'; claim: ClaimOptions }
  | { op: 'outcomes'; outcomes: readonly AttemptOutcome[] };

export type WriterRequest = WriterOp & { id: number };

/** The thread's answers, several at once (a group's, as its units settle after the COMMIT). */
export interface WriterReplies {
  replies: { id: number; result?: unknown; error?: CarriedError }[];
  /** Statements the thread ran since its last message. */
  statements: number;
  committed: { transactions: number; units: number };
}
