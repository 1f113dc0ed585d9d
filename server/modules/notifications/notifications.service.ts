import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import {
  type Notification,
  type NotificationPage,
  type NotificationPayloadOf,
  renderNotification,
} from '../../../common/notification.schemas.js';
import type { Database } from '../../db/database.js';
import { notFound } from '../../errors.js';
import { newId, nowIso } from '../../lib/ids.js';
import { publish } from '../../realtime/live-events.js';
import { userTopic } from '../../realtime/topics.js';
import {
  countUnread,
  findMailRecipients,
  insertNotifications,
  listNotifications,
  markAllRead,
  markRead,
  type NotificationRow,
  userExists,
} from './notifications.repository.js';

type Db = Kysely<Database>;

/** A stored notification and whom it is for (what `pushNotifications` needs). */
export type UserNotification = Notification & { userId: string };

export interface NotificationInput<K extends string = string> {
  userId: string;
  kind: K;
  payload: NotificationPayloadOf<K>;
}

function parsePayload(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function toNotification(row: NotificationRow): Notification {
  return { id: row.id, kind: row.kind, payload: parsePayload(row.payload), read: row.read_at !== null, createdAt: row.created_at };
}

/** Stores notifications inside the caller's transaction; push them with `pushNotifications` after commit. */
export async function createNotifications(trx: Db, items: NotificationInput[]): Promise<UserNotification[]> {
  const createdAt = nowIso();
  const rows: NotificationRow[] = items.map((item) => ({
    id: newId(),
    user_id: item.userId,
    kind: item.kind,
    payload: JSON.stringify(item.payload ?? {}),
    read_at: null,
    created_at: createdAt,
  }));
  await insertNotifications(trx, rows);
  return rows.map((row) => ({ ...toNotification(row), userId: row.user_id }));
}

/**
 * After commit: publishes `NOTIFICATION {notification}` on each user's topic and, with mail
 * configured, mails users who have an address. Never throws; mail goes in the background.
 */
export function pushNotifications(app: FastifyInstance, notifications: UserNotification[]): void {
  for (const n of notifications) {
    const { userId, ...notification } = n;
    publish(app.bus, userTopic(userId), 'NOTIFICATION', { notification });
  }
  if (app.mailer && notifications.length > 0) {
    mailNotifications(app, notifications).catch((err: unknown) => app.log.warn({ err }, 'notification mail failed'));
  }
}

async function mailNotifications(app: FastifyInstance, notifications: UserNotification[]): Promise<void> {
  const mailer = app.mailer;
  if (!mailer) return;
  const ids = [...new Set(notifications.map((n) => n.userId))];
  const emails = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await findMailRecipients(app.db, ids.slice(i, i + 500))) if (r.email) emails.set(r.id, r.email);
  }
  await Promise.all(
    notifications.map(async (n) => {
      const to = emails.get(n.userId);
      if (!to) return;
      const { title, body } = renderNotification(n.kind, n.payload, { timeZone: app.config.TIMEZONE });
      const link = `${app.publicUrl}/notifications`;
      try {
        await mailer.send({ to, subject: `Rollbook: ${title}`, text: `${body}\n\n${link}\n` });
      } catch (err) {
        app.log.warn({ err: (err as Error)?.message, notificationId: n.id }, 'could not mail a notification');
      }
    }),
  );
}

/** Stores one notification in its own transaction and pushes it. */
export async function notify<K extends string>(
  app: FastifyInstance,
  userId: string,
  kind: K,
  payload: NotificationPayloadOf<K>,
): Promise<UserNotification> {
  const [created] = await app.db.transaction().execute((trx) => createNotifications(trx, [{ userId, kind, payload }]));
  pushNotifications(app, [created]);
  return created;
}

export async function listMyNotifications(
  db: Db,
  userId: string,
  query: { unread: 'true' | 'false'; limit: number; cursor?: string },
): Promise<NotificationPage> {
  const [{ rows, next }, unreadCount] = await Promise.all([
    listNotifications(db, userId, { unreadOnly: query.unread === 'true', limit: query.limit, cursor: query.cursor }),
    countUnread(db, userId),
  ]);
  return { items: rows.map(toNotification), nextCursor: next, unreadCount };
}

/** Marks one notification read (idempotent); 404 when it is not the caller's. */
export async function markNotificationRead(app: FastifyInstance, userId: string, id: string): Promise<Notification> {
  const row = await markRead(app.db, userId, id, nowIso());
  if (!row) throw notFound('Notification');
  publish(app.bus, userTopic(userId), 'NOTIFICATIONS_READ', { ids: [id], unreadCount: await countUnread(app.db, userId) });
  return toNotification(row);
}

export async function markAllNotificationsRead(app: FastifyInstance, userId: string): Promise<{ updated: number }> {
  const updated = await markAllRead(app.db, userId, nowIso());
  if (updated > 0) {
    publish(app.bus, userTopic(userId), 'NOTIFICATIONS_READ', { ids: null, unreadCount: await countUnread(app.db, userId) });
  }
  return { updated };
}

/** An admin's delivery check: a `test` notification to any user, live and by mail. */
export async function sendTestNotification(app: FastifyInstance, userId: string, message: string): Promise<Notification> {
  if (!(await userExists(app.db, userId))) throw notFound('User');
  const { userId: _for, ...notification } = await notify(app, userId, 'test', { message });
  return notification;
}
