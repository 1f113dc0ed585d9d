import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { DEVICE_KEY_PREFIX, type CreateDeviceInput, type Device } from '../../../common/device.schemas.js';
import type { Session } from '../../../common/session.schemas.js';
import { notFound } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso, randomToken } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { CodeSession } from '../checkin/open-sessions.cache.js';
import type { Actor } from '../courses/courses.service.js';
import { findSessionById as findSession } from '../sessions/sessions.repository.js';
import { toSession } from '../sessions/sessions.service.js';
import {
  findDeviceById,
  findDeviceByKeyHash,
  insertDevice,
  listDevices,
  revokeDeviceRow,
  touchDevice,
  type DeviceRow,
} from './devices.repository.js';

/** How stale last_seen_at may get before a request rewrites it (a burst of scans costs one write). */
const LAST_SEEN_RESOLUTION_MS = 30_000;
/** Characters of the key kept in clear to tell keys apart: "rbd_" and 6 more. */
const KEY_PREFIX_LENGTH = DEVICE_KEY_PREFIX.length + 6;

export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    location: row.location,
    keyPrefix: row.key_prefix,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * SHA-256 of the key. A key carries 256 random bits, so a fast hash is enough (there is nothing to
 * brute-force), and the lookup by hash needs no per-key salt.
 */
export function hashDeviceKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Registers a device; its API key is returned this once and only its hash is stored. */
export async function createDevice(app: FastifyInstance, actor: Actor, input: CreateDeviceInput): Promise<{ device: Device; apiKey: string }> {
  const apiKey = `${DEVICE_KEY_PREFIX}${randomToken(32)}`;
  const row: DeviceRow = {
    id: newId(),
    name: input.name,
    location: input.location ?? null,
    key_hash: hashDeviceKey(apiKey),
    key_prefix: apiKey.slice(0, KEY_PREFIX_LENGTH),
    created_by: actor.userId,
    created_at: nowIso(),
    last_seen_at: null,
    revoked_at: null,
  };
  await app.db.transaction().execute(async (trx) => {
    await insertDevice(trx, row);
    await insertAudit(trx, { actorId: actor.userId, action: 'device.created', entity: 'device', entityId: row.id, after: toDevice(row) });
  });
  return { device: toDevice(row), apiKey };
}

export async function listDevicesPage(app: FastifyInstance, query: { limit: number; cursor?: string; includeRevoked: boolean }) {
  const afterId = query.cursor ? decodeCursor(query.cursor, 1)[0] : undefined;
  const rows = await listDevices(app.db, { afterId, limit: query.limit, includeRevoked: query.includeRevoked });
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(toDevice),
    nextCursor: rows.length > query.limit ? encodeCursor([page[page.length - 1].id]) : null,
  };
}

/** Revokes the device's key (idempotent); its scans are refused from then on. 404 for an unknown id. */
export async function revokeDevice(app: FastifyInstance, actor: Actor, id: string): Promise<void> {
  const before = await findDeviceById(app.db, id);
  if (!before) throw notFound('Device');
  await app.db.transaction().execute(async (trx) => {
    const after = await revokeDeviceRow(trx, id, nowIso());
    if (!after) return;
    await insertAudit(trx, {
      actorId: actor.userId,
      action: 'device.revoked',
      entity: 'device',
      entityId: id,
      before: toDevice(before),
      after: toDevice(after),
    });
  });
  // This node forgets it at once; every node checks revocation in each scan's transaction anyway.
  forgetDevice(app, id);
}

/**
 * The device a `rbd_…` key belongs to, unless unknown or revoked; records that it was seen. The hash
 * is looked up by equality (an index), then compared in constant time for good measure.
 */
export async function authenticateDeviceKey(app: FastifyInstance, key: string): Promise<DeviceRow | null> {
  if (!validKeyShape(key)) return null;
  const hash = hashDeviceKey(key);
  const row = await findDeviceByKeyHash(app.db, hash);
  if (!row || row.revoked_at !== null) return null;
  if (!timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return null;
  remember(app, hash, row);
  await markSeen(app, row);
  return row;
}

const validKeyShape = (key: string) => key.startsWith(DEVICE_KEY_PREFIX) && key.length <= 200;

async function markSeen(app: FastifyInstance, row: DeviceRow): Promise<void> {
  const now = Date.now();
  if (!row.last_seen_at || Date.parse(row.last_seen_at) < now - LAST_SEEN_RESOLUTION_MS) {
    const at = new Date(now).toISOString();
    await touchDevice(app.db, row.id, at, new Date(now - LAST_SEEN_RESOLUTION_MS).toISOString());
    row.last_seen_at = at;
  }
}

/**
 * Per node, the devices whose keys were accepted here, by key hash: which device a key belongs to
 * never changes, so a scan can take the device from here without a read of its own and have the
 * write's transaction check that the key is still not revoked (`knownDeviceKey`). Never used to
 * accept a key by itself.
 */
const knownKeys = new WeakMap<FastifyInstance, Map<string, DeviceRow>>();
/** Keys remembered per node at most (a campus has a few hundred devices); the oldest is forgotten first. */
const KNOWN_KEYS_MAX = 10_000;

function remember(app: FastifyInstance, hash: string, row: DeviceRow): void {
  let known = knownKeys.get(app);
  if (!known) knownKeys.set(app, (known = new Map()));
  known.delete(hash);
  if (known.size >= KNOWN_KEYS_MAX) known.delete(known.keys().next().value!);
  known.set(hash, row);
}

/**
 * The device of a key this node accepted before, NOT checked against revocation: the caller must
 * have it checked (in the write's transaction, or by `authenticateDeviceKey`) before it answers.
 * Undefined for a key not seen here.
 */
export async function knownDeviceKey(app: FastifyInstance, key: string): Promise<DeviceRow | undefined> {
  if (!validKeyShape(key)) return undefined;
  const row = knownKeys.get(app)?.get(hashDeviceKey(key));
  if (row) await markSeen(app, row);
  return row;
}

function forgetDevice(app: FastifyInstance, deviceId: string): void {
  const known = knownKeys.get(app);
  if (!known) return;
  for (const [hash, row] of known) if (row.id === deviceId) known.delete(hash);
}

/** Open sessions this device is bound to and that accept device scans, most recently opened first. */
export async function boundSessions(app: FastifyInstance, deviceId: string): Promise<CodeSession[]> {
  const sessions = await app.openSessions.boundTo(deviceId);
  return sessions
    .filter((s) => s.policy.methods.includes('device'))
    .sort((a, b) => b.openedAt.localeCompare(a.openedAt) || b.id.localeCompare(a.id));
}

/** What a device asks at start-up: itself, the session it scans into, the time zone and the server's clock. */
export async function deviceStatus(app: FastifyInstance, device: DeviceRow) {
  const [first] = await boundSessions(app, device.id);
  let session: Session | null = null;
  if (first) {
    const row = await findSession(app.db, first.id);
    if (row && row.state === 'open') session = toSession(row);
  }
  return { device: toDevice(device), session, timezone: app.config.TIMEZONE, serverTime: nowIso() };
}
