import type { FastifyBaseLogger } from 'fastify';
import type { z } from 'zod';
import type { WsRef } from '../../common/realtime.schemas.js';
import type { Role } from '../db/database.js';
import type { TopicAuth } from './topics.js';

/** One authenticated WebSocket, as event handlers see it. */
export interface SocketContext {
  readonly id: string;
  /** The signed-in user (updated when the client re-authenticates with a fresh token). */
  readonly auth: TopicAuth;
  /** Topics this socket is subscribed to. */
  readonly topics: ReadonlySet<string>;
  readonly log: FastifyBaseLogger;
  /** Sends `{event, data, ref?}` to this socket only. */
  send(event: string, data?: unknown, ref?: WsRef): void;
}

/** What a handler replies with; `undefined` replies `ACK {}`. */
export interface SocketReply {
  event: string;
  data?: unknown;
}

/**
 * Handles one client event. Throw an AppError to reply `ERROR {code, message}` (other errors are
 * logged and reply `internal_error`). The reply carries the client's `ref`.
 */
export type SocketEventHandler<T = unknown> = (
  socket: SocketContext,
  data: T,
  ref: WsRef | undefined,
) => Promise<SocketReply | void> | SocketReply | void;

export interface SocketEventOptions<T> {
  /** Validates `data` (failure replies `ERROR validation_failed` with `errors`). */
  schema?: z.ZodType<T>;
  /** Roles allowed to send the event (others get `ERROR forbidden`); all when omitted. */
  roles?: Role[];
  /**
   * Whether the access token the socket authenticated with must still be valid (default true).
   * Sockets outlive their token; an expired one gets `ERROR unauthenticated` and must send `AUTH`.
   */
  freshToken?: boolean;
}

export interface SocketEventEntry {
  handler: SocketEventHandler<unknown>;
  schema?: z.ZodType<unknown>;
  roles?: ReadonlySet<Role>;
  freshToken: boolean;
}

const NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Client → server events by name: `app.socketEvents.register('TODAY_SUMMARY', handler, {schema})`. */
export class SocketEventRegistry {
  private readonly entries = new Map<string, SocketEventEntry>();

  register<T>(name: string, handler: SocketEventHandler<T>, options: SocketEventOptions<T> = {}): void {
    if (!NAME.test(name)) throw new Error(`socket event names are UPPER_SNAKE_CASE: "${name}"`);
    if (name === 'AUTH' || this.entries.has(name)) throw new Error(`socket event "${name}" is already registered`);
    this.entries.set(name, {
      handler: handler as SocketEventHandler<unknown>,
      schema: options.schema as z.ZodType<unknown> | undefined,
      roles: options.roles ? new Set(options.roles) : undefined,
      freshToken: options.freshToken ?? true,
    });
  }

  get(name: string): SocketEventEntry | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return ['AUTH', ...this.entries.keys()];
  }
}
