/**
 * The app's one WebSocket (`/api/ws`, authenticated by the session cookie), shared by every page.
 * See docs/realtime.md for the protocol.
 *
 *   <RealtimeProvider> (app/provider.tsx) connects while someone is signed in, reconnects with
 *   exponential backoff plus jitter, resubscribes its topics, PINGs to notice a dead connection, and
 *   after every reconnect (or a server RESYNC) invalidates all TanStack queries so REST snapshots
 *   are read again.
 *
 *   useTopic('session:<id>', (event, data) => …)   live events of a topic while mounted
 *   useOnReconnect(() => …)                        re-read snapshots that are not TanStack queries
 *   useSocketRequest()(event, data)                a client event and its reply (matched by `ref`)
 *   useRealtimeStatus()                            'connecting' | 'live' | 'reconnecting' | 'offline'
 *
 * STALE EVENTS. Live events can arrive before, or after, a REST snapshot that already includes
 * them (a refetch after reconnect races the events of the new socket). Attendance records carry a
 * `version` that grows with every change: consumers must keep the version they hold per record and
 * DROP any event whose `record.version` is lower than (or equal to) it. Never let an event replace
 * a newer snapshot row.
 */
import { createContext, useContext, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { liveEventSchema, unsubscribedEventSchema, type LiveEvent } from '../../../common/live-events.js';
import { notifyError } from './notify.js';
import { WS_CLOSE } from '../../../common/realtime.schemas.js';
import { api, ApiError } from './api-client.js';
import { useUser } from './auth.js';

export type RealtimeStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** A topic event: its name and data, and the same as the parsed member of `LiveEvent` (narrowed by `live.event`). */
export type TopicHandler = (event: string, data: unknown, live: LiveEvent) => void;

export interface SocketReply {
  event: string;
  data: unknown;
}

/** A client event the server answered with `ERROR` (or that got no answer in time). */
export class SocketRequestError extends Error {
  readonly code: string;
  readonly errors: { path: string; message: string }[];
  constructor(code: string, message: string, errors: { path: string; message: string }[] = []) {
    super(message);
    this.name = 'SocketRequestError';
    this.code = code;
    this.errors = errors;
  }
}

interface Envelope {
  event: string;
  data?: unknown;
  ref?: string | number;
  topic?: string;
}

interface Pending {
  event: string;
  data: unknown;
  resolve: (reply: SocketReply) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Resent once after re-authenticating when the socket's token had expired. */
  retried: boolean;
  /** Internal (SUBSCRIBE etc.): not resent after a reconnect. */
  internal: boolean;
}

const REQUEST_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** After this many failed attempts in a row the indicator says "offline" (it keeps trying). */
const OFFLINE_AFTER_ATTEMPTS = 4;

function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/api/ws`;
}

/** The connection itself, outside React so that one socket serves every component. */
class RealtimeClient {
  private ws: WebSocket | null = null;
  private status: RealtimeStatus = 'connecting';
  private readonly statusListeners = new Set<() => void>();
  private readonly topics = new Map<string, Set<TopicHandler>>();
  private readonly subscribedListeners = new Map<string, Set<() => void>>();
  /** Topics the server has ACKed on the current socket. */
  private readonly acked = new Set<string>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly pending = new Map<string, Pending>();
  /** Requests made while the socket is not ready; sent once it is. */
  private queue: string[] = [];
  private nextRef = 1;
  private attempt = 0;
  private everReady = false;
  private ready = false;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private reauthenticating = false;

  constructor(private readonly queryClient: QueryClient) {}

  // --- lifecycle --------------------------------------------------------------------------------

  start(): void {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    this.acked.clear();
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.onerror = null;
      ws.onopen = null;
      try {
        ws.close(1000, 'signed out');
      } catch {
        // already closed
      }
    }
    this.failPending('connection_closed', 'The live connection was closed.');
  }

  private onOnline = () => {
    if (this.stopped || this.ready || this.ws) return;
    // Back online: try at once instead of waiting out the backoff.
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connect();
  };

  private onOffline = () => {
    if (!this.ready) this.setStatus('offline');
  };

  private connect(): void {
    if (this.stopped) return;
    this.setStatus(this.everReady || this.attempt > 0 ? this.downStatus() : 'connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(socketUrl());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = (message) => this.onMessage(message);
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.onClose(event.code);
    };
    ws.onerror = () => {
      // 'close' follows.
    };
  }

  private downStatus(): RealtimeStatus {
    if (typeof navigator !== 'undefined' && navigator.onLine === false) return 'offline';
    return this.attempt >= OFFLINE_AFTER_ATTEMPTS ? 'offline' : 'reconnecting';
  }

  private onClose(code: number): void {
    this.ws = null;
    this.ready = false;
    this.acked.clear();
    this.stopHeartbeat();
    this.failPending('connection_lost', 'The live connection was lost; try again.');
    if (this.stopped) return;
    this.setStatus(this.downStatus());
    if (code === WS_CLOSE.unauthenticated) {
      // The cookie's token expired (or the account is gone): renew it over HTTP, then reconnect.
      // A failed renewal signs the user out (api-client), which unmounts the provider.
      void this.renewSession().then((ok) => {
        if (ok) this.scheduleReconnect();
      });
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.setStatus(this.downStatus());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  /** Asks the API who we are, which renews the access cookie when needed. */
  private async renewSession(): Promise<boolean> {
    try {
      await api('/api/auth/me');
      return true;
    } catch (error) {
      // A network failure is not a signed-out user: keep trying.
      return !(error instanceof ApiError && error.status === 401);
    }
  }

  /** The socket's token expired (ERROR unauthenticated): renew the cookie and open a new socket. */
  private reauthenticate(): void {
    if (this.reauthenticating || this.stopped) return;
    this.reauthenticating = true;
    void this.renewSession().then((ok) => {
      this.reauthenticating = false;
      if (!ok || this.stopped) return;
      const ws = this.ws;
      if (ws) {
        // Reconnect at once; the close handler would otherwise back off.
        this.ws = null;
        ws.onclose = null;
        ws.close(1000, 'renewing credentials');
        this.ready = false;
        this.acked.clear();
        this.stopHeartbeat();
      }
      this.connect();
    });
  }

  // --- messages ---------------------------------------------------------------------------------

  private onMessage(message: MessageEvent): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(String(message.data)) as Envelope;
    } catch {
      return;
    }
    if (!envelope || typeof envelope.event !== 'string') return;

    if (envelope.event === 'READY') {
      this.onReady();
      if (envelope.ref === undefined) return;
    }

    if (envelope.ref !== undefined) {
      const ref = String(envelope.ref);
      if (ref === 'ping') {
        if (this.pongTimer) clearTimeout(this.pongTimer);
        this.pongTimer = null;
        return;
      }
      const pending = this.pending.get(ref);
      if (pending) {
        if (envelope.event === 'ERROR') {
          const data = (envelope.data ?? {}) as { code?: string; message?: string; errors?: { path: string; message: string }[] };
          if (data.code === 'unauthenticated' && !pending.retried && !pending.internal) {
            // Token expired on a long-lived socket: resend once the socket is renewed.
            clearTimeout(pending.timer);
            this.pending.delete(ref);
            pending.retried = true;
            this.queueRequest(pending);
            this.reauthenticate();
            return;
          }
          if (data.code === 'unauthenticated') this.reauthenticate();
          this.settle(ref, new SocketRequestError(data.code ?? 'error', data.message ?? 'The server refused the request.', data.errors));
        } else {
          this.settle(ref, { event: envelope.event, data: envelope.data });
        }
        return;
      }
    }

    if (envelope.event === 'RESYNC') {
      this.resnapshot();
      return;
    }

    if (envelope.event === 'UNSUBSCRIBED') {
      // The server dropped a topic this user may no longer see (removed from the course, role changed):
      // stop holding it, and say so rather than leave a page that silently stops updating.
      const parsed = unsubscribedEventSchema.shape.data.safeParse(envelope.data);
      if (parsed.success && this.topics.delete(parsed.data.topic)) {
        this.acked.delete(parsed.data.topic);
        notifyError(new Error('Your access to these live updates has changed; reload the page to see what you can still open.'), 'Live updates stopped');
      }
      return;
    }

    if (envelope.topic) {
      const handlers = this.topics.get(envelope.topic);
      if (!handlers) return;
      // Topic events are parsed with the same schemas the server publishes with (common/live-events.ts):
      // a handler only ever sees a well-formed event.
      const parsed = liveEventSchema.safeParse({ event: envelope.event, data: envelope.data });
      if (!parsed.success) {
        console.warn(`realtime: dropped a malformed or unknown ${envelope.event} event on ${envelope.topic}`, parsed.error.issues);
        return;
      }
      const event = parsed.data;
      for (const handler of [...handlers]) {
        try {
          handler(event.event, event.data, event);
        } catch (error) {
          console.error(`realtime: handler for ${envelope.event} on ${envelope.topic} failed`, error);
        }
      }
    }
  }

  private onReady(): void {
    const wasReconnect = this.everReady;
    this.everReady = true;
    this.ready = true;
    this.attempt = 0;
    this.setStatus('live');
    this.startHeartbeat();
    const topics = [...this.topics.keys()];
    const acks = topics.map((topic) => this.sendSubscribe(topic));
    const queued = this.queue;
    this.queue = [];
    for (const raw of queued) this.ws?.send(raw);
    if (wasReconnect) {
      // Snapshots are read after the topics are held again, so nothing falls in between.
      void Promise.allSettled(acks).then(() => {
        if (this.ready) this.resnapshot();
      });
    }
  }

  /** Re-read everything: all TanStack queries, and whoever registered with useOnReconnect. */
  private resnapshot(): void {
    void this.queryClient.invalidateQueries();
    for (const listener of [...this.reconnectListeners]) {
      try {
        listener();
      } catch (error) {
        console.error('realtime: reconnect listener failed', error);
      }
    }
  }

  private settle(ref: string, outcome: SocketReply | Error): void {
    const pending = this.pending.get(ref);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(ref);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private failPending(code: string, message: string): void {
    // Nothing queued is sent later on behalf of a promise that has already failed.
    this.queue = [];
    for (const ref of [...this.pending.keys()]) this.settle(ref, new SocketRequestError(code, message));
  }

  private queueRequest(pending: Pending): void {
    const ref = `r${this.nextRef++}`;
    pending.timer = setTimeout(() => {
      this.queue = this.queue.filter((raw) => !raw.includes(`"ref":"${ref}"`));
      this.settle(ref, new SocketRequestError('timeout', 'The server did not answer in time. Check your connection and try again.'));
    }, REQUEST_TIMEOUT_MS);
    this.pending.set(ref, pending);
    const raw = JSON.stringify({ event: pending.event, data: pending.data, ref });
    if (this.ready && this.ws?.readyState === WebSocket.OPEN) this.ws.send(raw);
    else this.queue.push(raw);
  }

  /** Sends a client event; the promise settles with the reply carrying the same ref. */
  request(event: string, data: unknown, internal = false): Promise<SocketReply> {
    return new Promise<SocketReply>((resolve, reject) => {
      this.queueRequest({ event, data, resolve, reject, retried: internal, internal, timer: 0 as unknown as ReturnType<typeof setTimeout> });
    });
  }

  // --- topics -----------------------------------------------------------------------------------

  private sendSubscribe(topic: string): Promise<void> {
    return this.request('SUBSCRIBE', { topic }, true).then(
      () => {
        if (!this.topics.has(topic)) return;
        this.acked.add(topic);
        for (const listener of [...(this.subscribedListeners.get(topic) ?? [])]) listener();
      },
      (error: unknown) => {
        if (error instanceof SocketRequestError && error.code === 'unauthenticated') this.reauthenticate();
        else if (!(error instanceof SocketRequestError && error.code.startsWith('connection_'))) {
          console.warn(`realtime: could not subscribe to ${topic}:`, error instanceof Error ? error.message : error);
        }
      },
    );
  }

  subscribe(topic: string, handler: TopicHandler, onSubscribed?: () => void): () => void {
    let handlers = this.topics.get(topic);
    const first = !handlers;
    if (!handlers) {
      handlers = new Set();
      this.topics.set(topic, handlers);
    }
    handlers.add(handler);
    if (onSubscribed) {
      let set = this.subscribedListeners.get(topic);
      if (!set) {
        set = new Set();
        this.subscribedListeners.set(topic, set);
      }
      set.add(onSubscribed);
    }
    if (first && this.ready) void this.sendSubscribe(topic);
    else if (!first && this.acked.has(topic) && onSubscribed) onSubscribed(); // already held
    return () => {
      const set = this.topics.get(topic);
      if (!set) return;
      set.delete(handler);
      if (onSubscribed) this.subscribedListeners.get(topic)?.delete(onSubscribed);
      if (set.size === 0) {
        this.topics.delete(topic);
        this.subscribedListeners.delete(topic);
        this.acked.delete(topic);
        if (this.ready) this.request('UNSUBSCRIBE', { topic }, true).catch(() => {});
      }
    };
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  // --- heartbeat --------------------------------------------------------------------------------

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ event: 'PING', data: {}, ref: 'ping' }));
      if (this.pongTimer) return;
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        // No PONG: the connection is dead even if the browser has not noticed (sleep, Wi-Fi switch).
        if (this.ws === ws) {
          ws.onclose = null;
          ws.close();
          this.onClose(1006);
        }
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  private stopHeartbeat(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  // --- status -----------------------------------------------------------------------------------

  private setStatus(status: RealtimeStatus): void {
    if (this.status === status) return;
    this.status = status;
    for (const listener of [...this.statusListeners]) listener();
  }

  getStatus = (): RealtimeStatus => this.status;

  onStatus = (listener: () => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };
}

const RealtimeContext = createContext<RealtimeClient | null>(null);

/**
 * One shared socket for the signed-in user (nothing is opened while nobody is signed in). A new
 * user gets a new socket.
 */
export function RealtimeProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const { data: user } = useUser();
  const userId = user?.id ?? null;
  const [client, setClient] = useState<RealtimeClient | null>(null);

  useEffect(() => {
    if (!userId) {
      setClient(null);
      return;
    }
    const next = new RealtimeClient(queryClient);
    next.start();
    setClient(next);
    return () => {
      next.stop();
    };
  }, [userId, queryClient]);

  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}

const noopSubscribe = () => () => {};
const offline = (): RealtimeStatus => 'offline';

export function useRealtimeStatus(): RealtimeStatus {
  const client = useContext(RealtimeContext);
  return useSyncExternalStore(client?.onStatus ?? noopSubscribe, client?.getStatus ?? offline, client?.getStatus ?? offline);
}

/** Keeps a ref to the latest callback so effects need not resubscribe when it changes. */
function useLatest<T>(value: T) {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

export interface UseTopicOptions {
  /**
   * Called each time the server has ACKed the subscription (first subscribe and after every
   * reconnect): from then on no event is missed, so this is the moment to (re)read a snapshot.
   */
  onSubscribed?: () => void;
}

/** Subscribes to `topic` while mounted (null = none); calls onEvent for each event on it; resubscribes after reconnect. */
export function useTopic(topic: string | null, onEvent: TopicHandler, options?: UseTopicOptions): void {
  const client = useContext(RealtimeContext);
  const handler = useLatest(onEvent);
  const subscribed = useLatest(options?.onSubscribed);
  const wantsAck = Boolean(options?.onSubscribed);
  useEffect(() => {
    if (!client || !topic) return;
    return client.subscribe(
      topic,
      (event, data, live) => handler.current(event, data, live),
      wantsAck ? () => subscribed.current?.() : undefined,
    );
  }, [client, topic, handler, subscribed, wantsAck]);
}

/** Called after every reconnect (not the first connect): refetch REST snapshots here. */
export function useOnReconnect(callback: () => void): void {
  const client = useContext(RealtimeContext);
  const latest = useLatest(callback);
  useEffect(() => {
    if (!client) return;
    return client.onReconnect(() => latest.current());
  }, [client, latest]);
}

/**
 * Sends a client event and resolves with the reply envelope (matched by ref); rejects on
 * timeout/ERROR with a SocketRequestError carrying the server's code+message. Sent as soon as the
 * socket is ready (waits up to 10 s); an expired token is renewed and the event resent once.
 */
export function useSocketRequest(): (event: string, data: unknown) => Promise<SocketReply> {
  const client = useContext(RealtimeContext);
  const latest = useLatest(client);
  const [send] = useState(() => (event: string, data: unknown): Promise<SocketReply> => {
    const current = latest.current;
    if (!current) return Promise.reject(new SocketRequestError('offline', 'Not connected: sign in to use live features.'));
    return current.request(event, data);
  });
  return send;
}
