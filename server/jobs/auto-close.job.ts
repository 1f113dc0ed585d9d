import { closeOverdueSessions } from '../modules/live-sessions/live-sessions.service.js';
import type { Job } from './scheduler.js';

/** Closes sessions left open past their end plus AUTO_CLOSE_GRACE_MINUTES (unmarked → absent). */
export const autoCloseJob: Job = {
  name: 'auto-close',
  everyMs: 30_000,
  run: async (app) => {
    const closed = await closeOverdueSessions(app);
    if (closed > 0) app.log.info({ closed }, 'closed overdue sessions');
  },
};
