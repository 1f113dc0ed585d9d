import type { FastifyBaseLogger } from 'fastify';
import { WebSocket } from 'ws';
import { WS_CLOSE, WS_LIMITS, type WsRef } from '../../common/realtime.schemas.js';
import { newId } from '../lib/ids.js';
import type { Bus, BusListener } from './bus.js';
import type { SocketContext } from './socket-events.js';
import type { TopicAuth } from './topics.js';

/** One WebSocket connection and its protocol state. */
export class Connection implements SocketContext {
  readonly id = newId();
  readonly topics = new Set<string>();
  /** Null until authenticated. */
  authState: TopicAuth | null = null;
  /** The access token the socket authenticated with, re-verified before subscribing. */
  token: string | null = null;
  /** Answered the last heartbeat ping (or sent something since). */
  alive = true;
  authTimer: NodeJS.Timeout | null = null;
  /** Closes the socket when its access token expires, unless a fresh AUTH came first. */
  expiryTimer: NodeJS.Timeout | null = null;
  /** Set while credentials are being checked; messages that arrive meanwhile wait for it. */
  authPending: Promise<void> | null = null;
  private windowStart = 0;
  private windowCount = 0;
  private closing = false;
  private corked = false;

  /**
   * `stream` is the socket's TCP stream (the upgraded request's): frames sent by one callback and
   * the promise continuations it set off (a group commit's check-ins) are corked into one write,
   * uncorked on `process.nextTick` (once those continuations are done), instead of one `writev` and
   * one TCP segment per event.
   */
  constructor(
    readonly ws: WebSocket,
    readonly log: FastifyBaseLogger,
    private readonly stream: { cork(): void; uncork(): void } | null = null,
  ) {}

  get auth(): TopicAuth {
    if (!this.authState) throw new Error('socket is not authenticated');
    return this.authState;
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  send(event: string, data: unknown = {}, ref?: WsRef): void {
    if (!this.open) return;
    this.sendRaw(JSON.stringify(ref === undefined ? { event, data } : { event, data, ref }));
  }

  /** Sends a pre-serialised frame (a Buffer is sent as text); drops a reader that cannot keep up. */
  sendRaw(frame: string | Buffer): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > WS_LIMITS.maxBufferedBytes) {
      this.log.warn({ socketId: this.id, buffered: this.ws.bufferedAmount }, 'socket reads too slowly; closing it');
      this.close(WS_CLOSE.tryAgainLater, 'too slow: reconnect and take a snapshot');
      return;
    }
    if (this.stream && !this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream!.uncork();
      });
    }
    this.ws.send(frame, { binary: false });
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  /** Counts one client message; false when over the per-second limit. */
  allowMessage(now = Date.now()): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    return this.windowCount <= WS_LIMITS.messagesPerSecond;
  }

  /** True exactly once per window: the first message over the limit. */
  get firstOverLimit(): boolean {
    return this.windowCount === WS_LIMITS.messagesPerSecond + 1;
  }
}

interface TopicEntry {
  connections: Set<Connection>;
  listener: BusListener;
  /** Resolves once the bus delivers this topic's events from every node. */
  ready: Promise<void>;
}

export interface RealtimeStats {
  /** Open sockets on this node (authenticated or not). */
  sockets: number;
  authenticated: number;
  /** Distinct topics some local socket listens to. */
  topics: number;
  /** Socket × topic pairs. */
  subscriptions: number;
  bus: Bus['state'];
}

/**
 * The sockets of this node and who listens to what. Subscribes to the bus once per topic and fans
 * each event out as one shared buffer.
 */
export class SocketHub {
  private readonly connections = new Set<Connection>();
  private readonly byTopic = new Map<string, TopicEntry>();
  private subscriptions = 0;

  /** `onFrame` sees every event of a topic some socket here listens to, once, before the sockets do. */
  constructor(
    private readonly bus: Bus,
    private readonly onFrame?: (topic: string, frame: string) => void,
  ) {
    bus.onResync(() => {
      // Cross-node events may have been missed while Redis was away: tell listeners to re-snapshot.
      for (const conn of this.connections) if (conn.topics.size > 0) conn.send('RESYNC', { reason: 'bus_reconnected' });
    });
  }

  add(conn: Connection): void {
    this.connections.add(conn);
  }

  /** Forgets a closed connection and leaves its topics. */
  remove(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
    for (const topic of [...conn.topics]) this.leave(conn, topic);
  }

  /** This node's authenticated sockets of one user. */
  connectionsOf(userId: string): Connection[] {
    return [...this.connections].filter((c) => c.authState?.userId === userId);
  }

  /** This node's sockets listening to `topic`. */
  subscribersOf(topic: string): Connection[] {
    return [...(this.byTopic.get(topic)?.connections ?? [])];
  }

  join(conn: Connection, topic: string): Promise<void> {
    if (!this.connections.has(conn)) return Promise.resolve();
    let entry = this.byTopic.get(topic);
    if (!entry) {
      const connections = new Set<Connection>();
      const listener: BusListener = (frame) => {
        this.onFrame?.(topic, frame);
        const buffer = Buffer.from(frame);
        for (const c of connections) c.sendRaw(buffer);
      };
      entry = { connections, listener, ready: this.bus.subscribe(topic, listener) };
      this.byTopic.set(topic, entry);
    }
    if (!entry.connections.has(conn)) {
      entry.connections.add(conn);
      conn.topics.add(topic);
      this.subscriptions++;
    }
    return entry.ready;
  }

  leave(conn: Connection, topic: string): void {
    const entry = this.byTopic.get(topic);
    conn.topics.delete(topic);
    if (!entry || !entry.connections.delete(conn)) return;
    this.subscriptions--;
    if (entry.connections.size === 0) {
      this.byTopic.delete(topic);
      this.bus.unsubscribe(topic, entry.listener);
    }
  }

  /** One heartbeat round: drops sockets that missed the previous ping, pings the rest. */
  sweep(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.log.debug({ socketId: conn.id }, 'socket missed a heartbeat; dropping it');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        conn.ws.terminate();
      }
    }
  }

  /** Closes every socket (server shutting down: clients reconnect, possibly to another node). */
  closeAll(code: number, reason: string): void {
    for (const conn of this.connections) conn.close(code, reason);
  }

  stats(): RealtimeStats {
    let authenticated = 0;
    for (const c of this.connections) if (c.authState) authenticated++;
    return {
      sockets: this.connections.size,
      authenticated,
      topics: this.byTopic.size,
      subscriptions: this.subscriptions,
      bus: this.bus.state,
    };
  }
}
