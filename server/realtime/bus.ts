import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createRedis, redisTimeouts } from '../lib/redis.js';

/**
 * Receives a topic event as the exact text frame sockets are sent:
 * `{"event":…,"topic":…,"data":…}`, serialised once per publish however many sockets listen.
 */
export type BusListener = (frame: string, topic: string) => void;

/** Whether events reach other nodes: `local` (one node, no Redis), `ok`, or `down` (Redis away). */
export type BusState = 'local' | 'ok' | 'down';

/** The one way server code publishes live events. */
export interface Bus {
  /** Delivers `event` with `data` to every listener of `topic` on every node. Never throws or waits. */
  publish(topic: string, event: string, data: unknown): void;
  /** Delivers to this node's listeners only: an event each node derives for its own listeners (SUMMARY). */
  deliverLocal(topic: string, event: string, data: unknown): void;
  /**
   * Adds a listener; resolves once events published anywhere will reach it (for Redis: once the
   * channel is subscribed, or at once while Redis is away). Never rejects.
   */
  subscribe(topic: string, listener: BusListener): Promise<void>;
  unsubscribe(topic: string, listener: BusListener): void;
  /** Called when cross-node delivery resumes after a gap: listeners may have missed events. */
  onResync(listener: () => void): void;
  readonly state: BusState;
  /** Topics with at least one local listener. */
  readonly topicCount: number;
  close(): Promise<void>;
}

/** The frame a socket receives for a topic event. */
export function encodeTopicEvent(topic: string, event: string, data: unknown): string {
  return JSON.stringify({ event, topic, data });
}

/** Local fan-out: topic → listeners. */
class LocalTopics {
  private readonly listeners = new Map<string, Set<BusListener>>();

  constructor(private readonly log: FastifyBaseLogger) {}

  /** Adds a listener; true when it is the topic's first. */
  add(topic: string, listener: BusListener): boolean {
    let set = this.listeners.get(topic);
    const first = !set;
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    return first;
  }

  /** Removes a listener; true when the topic has none left. */
  remove(topic: string, listener: BusListener): boolean {
    const set = this.listeners.get(topic);
    if (!set || !set.delete(listener)) return false;
    if (set.size > 0) return false;
    this.listeners.delete(topic);
    return true;
  }

  has(topic: string): boolean {
    return this.listeners.has(topic);
  }

  topics(): string[] {
    return [...this.listeners.keys()];
  }

  get size(): number {
    return this.listeners.size;
  }

  deliver(topic: string, frame: string): void {
    const set = this.listeners.get(topic);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(frame, topic);
      } catch (err) {
        this.log.error({ err, topic }, 'realtime bus listener failed');
      }
    }
  }
}

function encodeOrLog(log: FastifyBaseLogger, topic: string, event: string, data: unknown): string | null {
  try {
    return encodeTopicEvent(topic, event, data);
  } catch (err) {
    log.error({ err, topic, event }, 'realtime event could not be serialised; dropped');
    return null;
  }
}

/** In-process bus: one node, no Redis. */
export class MemoryBus implements Bus {
  private readonly local: LocalTopics;
  readonly state = 'local' as const;

  constructor(private readonly log: FastifyBaseLogger) {
    this.local = new LocalTopics(log);
  }

  publish(topic: string, event: string, data: unknown): void {
    this.deliverLocal(topic, event, data);
  }

  deliverLocal(topic: string, event: string, data: unknown): void {
    if (!this.local.has(topic)) return;
    const frame = encodeOrLog(this.log, topic, event, data);
    if (frame !== null) this.local.deliver(topic, frame);
  }

  async subscribe(topic: string, listener: BusListener): Promise<void> {
    this.local.add(topic, listener);
  }

  unsubscribe(topic: string, listener: BusListener): void {
    this.local.remove(topic, listener);
  }

  onResync(): void {
    // One node: nothing is ever missed.
  }

  get topicCount(): number {
    return this.local.size;
  }

  async close(): Promise<void> {}
}

export const REDIS_CHANNEL_PREFIX = 'rollbook:topic:';
/**
 * Between two frames of one topic in one Redis message. A frame is JSON text, in which a newline
 * only ever appears escaped, so it can never occur inside one.
 */
const FRAME_SEPARATOR = '\n';

/**
 * Frames published by one callback and the promise continuations it set off (a group commit
 * acknowledges up to 32 check-ins in one callback), grouped by topic in publish order: they cost one
 * write to Redis, and the frames of one topic travel in one message, so each topic's order is kept
 * (one connection, one message per topic per batch, batches sent in order). The batch leaves on
 * `process.nextTick`, which Node runs once the pending promise continuations are done — not at the
 * end of the event loop's turn (`setImmediate`), which in a burst can be many requests later.
 */
class PublishBatch {
  private batch = new Map<string, string[]>();
  private scheduled = false;

  constructor(private readonly send: (batch: Map<string, string[]>) => void) {}

  add(topic: string, frame: string): void {
    const frames = this.batch.get(topic);
    if (frames) frames.push(frame);
    else this.batch.set(topic, [frame]);
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => this.flush());
  }

  /** Sends what is waiting now (also called on close). */
  flush(): void {
    this.scheduled = false;
    if (this.batch.size === 0) return;
    const batch = this.batch;
    this.batch = new Map();
    this.send(batch);
  }
}
const NODE_ID_LENGTH = 16;
const WARN_EVERY_MS = 30_000;
const SUBSCRIBE_WAIT_MS = 3_000;

export interface RedisBusOptions {
  /** Publishes; may be shared with the rest of the app (it is not closed by the bus). */
  publisher: Redis;
  /** A dedicated connection in subscriber mode, owned and closed by the bus; `autoResubscribe` off. */
  subscriber: Redis;
  log: FastifyBaseLogger;
}

/**
 * Redis pub/sub across nodes. Events are delivered to local listeners at once and to other nodes
 * through one Redis channel per topic, subscribed only while a local listener wants it. Each
 * message is prefixed with the publishing node's id so a node skips its own echo.
 *
 * With Redis away, publish keeps delivering on this node and logs (at most every 30 s); when the
 * subscriber reconnects it resubscribes every wanted channel and tells `onResync` listeners.
 */
export class RedisBus implements Bus {
  readonly nodeId = randomBytes(NODE_ID_LENGTH / 2).toString('hex');
  private readonly local: LocalTopics;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly log: FastifyBaseLogger;
  private readonly pending = new Map<string, Promise<void>>();
  private readonly resyncListeners: (() => void)[] = [];
  /** Set when delivery across nodes may have had a gap; cleared (with a resync) on recovery. */
  private gap = false;
  /** The subscriber connection is up and holds every wanted channel. */
  private subscriberSynced = false;
  private dropped = 0;
  private lastWarnAt = 0;
  private closed = false;
  private readonly outbox = new PublishBatch((batch) => this.send(batch));

  constructor(options: RedisBusOptions) {
    this.publisher = options.publisher;
    this.subscriber = options.subscriber;
    this.log = options.log;
    this.local = new LocalTopics(this.log);

    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.subscriber.on('ready', () => void this.onSubscriberReady());
    this.subscriber.on('close', () => {
      this.subscriberSynced = false;
      this.markGap('subscriber connection closed');
    });
    this.publisher.on('close', () => this.markGap('publisher connection closed'));
    this.publisher.on('ready', () => this.maybeRecovered());
  }

  get state(): BusState {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready' ? 'ok' : 'down';
  }

  get topicCount(): number {
    return this.local.size;
  }

  publish(topic: string, event: string, data: unknown): void {
    const frame = encodeOrLog(this.log, topic, event, data);
    if (frame === null) return;
    this.local.deliver(topic, frame);
    if (this.publisher.status !== 'ready') {
      this.degraded();
      return;
    }
    this.outbox.add(topic, frame);
  }

  deliverLocal(topic: string, event: string, data: unknown): void {
    if (!this.local.has(topic)) return;
    const frame = encodeOrLog(this.log, topic, event, data);
    if (frame !== null) this.local.deliver(topic, frame);
  }

  subscribe(topic: string, listener: BusListener): Promise<void> {
    const first = this.local.add(topic, listener);
    if (!first) return this.pending.get(topic) ?? Promise.resolve();
    return this.subscribeChannel(topic);
  }

  unsubscribe(topic: string, listener: BusListener): void {
    if (!this.local.remove(topic, listener)) return;
    this.pending.delete(topic);
    // While Redis is away the fresh connection simply won't resubscribe it.
    if (this.subscriber.status === 'ready') {
      this.subscriber.unsubscribe(REDIS_CHANNEL_PREFIX + topic).catch(() => undefined);
    }
  }

  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  async close(): Promise<void> {
    this.outbox.flush();
    this.closed = true;
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private subscribeChannel(topic: string): Promise<void> {
    if (this.subscriber.status !== 'ready') return Promise.resolve();
    const done = this.subscriber.subscribe(REDIS_CHANNEL_PREFIX + topic).then(
      () => undefined,
      (err: unknown) => this.degraded(err),
    );
    // A hung connection must not hold a SUBSCRIBE reply back for long.
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
    });
    const ready: Promise<void> = Promise.race([done, wait]).finally(() => {
      clearTimeout(timer);
      if (this.pending.get(topic) === ready) this.pending.delete(topic);
    });
    this.pending.set(topic, ready);
    return ready;
  }

  /** One pipeline (one write) per batch: a PUBLISH per topic, carrying that topic's frames in order. */
  private send(batch: Map<string, string[]>): void {
    if (this.publisher.status !== 'ready') {
      let events = 0;
      for (const frames of batch.values()) events += frames.length;
      this.degraded(undefined, events);
      return;
    }
    const pipeline = this.publisher.pipeline();
    const counts: number[] = [];
    for (const [topic, frames] of batch) {
      pipeline.publish(REDIS_CHANNEL_PREFIX + topic, this.nodeId + frames.join(FRAME_SEPARATOR));
      counts.push(frames.length);
    }
    pipeline.exec().then(
      (results) => results?.forEach(([err], i) => err && this.degraded(err, counts[i])),
      (err: unknown) => this.degraded(err, counts.reduce((a, b) => a + b, 0)),
    );
  }

  private onMessage(channel: string, message: string): void {
    if (!channel.startsWith(REDIS_CHANNEL_PREFIX)) return;
    if (message.startsWith(this.nodeId)) return;
    const topic = channel.slice(REDIS_CHANNEL_PREFIX.length);
    let from = NODE_ID_LENGTH;
    for (;;) {
      const end = message.indexOf(FRAME_SEPARATOR, from);
      this.local.deliver(topic, message.slice(from, end === -1 ? undefined : end));
      if (end === -1) return;
      from = end + 1;
    }
  }

  private async onSubscriberReady(): Promise<void> {
    if (this.closed) return;
    const channels = this.local.topics().map((t) => REDIS_CHANNEL_PREFIX + t);
    if (channels.length > 0) {
      try {
        await this.subscriber.subscribe(...channels);
      } catch (err) {
        this.degraded(err);
        return;
      }
    }
    this.subscriberSynced = true;
    this.maybeRecovered();
  }

  /** After a gap, once both connections are back (and channels resubscribed): log and resync. */
  private maybeRecovered(): void {
    if (this.closed || !this.gap || !this.subscriberSynced || this.publisher.status !== 'ready') return;
    this.gap = false;
    this.log.warn({ notSentToOtherNodes: this.dropped }, 'realtime bus: Redis is back, events flow across nodes again');
    this.dropped = 0;
    this.lastWarnAt = 0;
    for (const listener of this.resyncListeners) {
      try {
        listener();
      } catch (err) {
        this.log.error({ err }, 'realtime bus resync listener failed');
      }
    }
  }

  private markGap(reason: string): void {
    if (this.closed || this.gap) return;
    this.gap = true;
    this.log.warn({ reason }, 'realtime bus: Redis unavailable, events reach this node only until it returns');
    this.lastWarnAt = Date.now();
  }

  private degraded(err?: unknown, events = 1): void {
    if (this.closed) return;
    this.gap = true;
    this.dropped += events;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.log.warn(
      { err, notSentToOtherNodes: this.dropped },
      'realtime bus: Redis unavailable, events reach this node only until it returns',
    );
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Publish live events: `app.bus.publish('session:<id>', 'CHECKIN', {record, student})`. */
    bus: Bus;
  }
}

/** Decorates `app.bus`: Redis pub/sub when REDIS_URL is set, else in-process. */
export default fp(
  async (app) => {
    let bus: Bus;
    if (app.redis && app.config.REDIS_URL) {
      const subscriber = createRedis(app.config.REDIS_URL, 'bus-subscriber', { ...redisTimeouts(app.config), autoResubscribe: false });
      bus = new RedisBus({ publisher: app.redis, subscriber, log: app.log.child({ component: 'bus' }) });
    } else {
      bus = new MemoryBus(app.log.child({ component: 'bus' }));
    }
    app.decorate('bus', bus);
    app.addHook('onClose', async () => bus.close());
  },
  { name: 'bus' },
);
