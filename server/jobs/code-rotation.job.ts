import type { FastifyInstance } from 'fastify';
import { sessionTopic } from '../../common/live-events.js';
import { publish } from '../realtime/live-events.js';
import { currentCode } from '../modules/checkin/codes.js';
import { checkinUrl } from '../modules/live-sessions/live-sessions.service.js';
import type { Budget } from '../lib/limiter.js';
import type { Job } from './scheduler.js';

const lastStep = new WeakMap<FastifyInstance, Map<string, number>>();
const announcements = new WeakMap<FastifyInstance, Budget>();

/**
 * Announces each open session's new code when its step changes (CODE_ROTATED to the session's
 * staff). Every node computes the same step; a shared counter lets only the first node announce it.
 */
export async function announceRotatedCodes(app: FastifyInstance, now = Date.now()): Promise<number> {
  let seen = lastStep.get(app);
  if (!seen) lastStep.set(app, (seen = new Map()));
  const open = (await app.openSessions.list(now)).filter((s) => s.state === 'open');
  const live = new Set(open.map((s) => s.id));
  for (const id of seen.keys()) if (!live.has(id)) seen.delete(id);
  let once = announcements.get(app);
  // One point per (session, step): the first node to reserve it announces.
  if (!once) announcements.set(app, (once = app.limits.budget({ name: 'code-rotated', points: 1, durationSeconds: 60 })));
  let announced = 0;
  for (const s of open) {
    const c = currentCode(s.code, now);
    const previous = seen.get(s.id);
    seen.set(s.id, c.step);
    // The opening itself already told everyone the first code.
    if (previous === undefined ? c.step === 0 : previous === c.step) continue;
    const ttl = Math.max(5, Math.ceil((c.expiresAt.getTime() - now) / 1000) + 5);
    if (!(await once.reserve(`${s.id}:${c.step}`, 1, ttl)).allowed) continue;
    publish(app.bus, sessionTopic(s.id), 'CODE_ROTATED', {
      sessionId: s.id,
      code: c.code,
      expiresAt: c.expiresAt.toISOString(),
      url: checkinUrl(app, s.id, c.token),
    });
    announced++;
  }
  return announced;
}

export const codeRotationJob: Job = { name: 'code-rotation', everyMs: 1000, run: announceRotatedCodes };
