import { sendWarningsDigest } from '../modules/warnings/warnings-digest.js';
import { warningDepsOf } from '../modules/warnings/warnings.service.js';
import type { Job } from './scheduler.js';

/** Mails each teacher their at-risk students once a week (claimed in the database: one node sends). */
export const warningsDigestJob: Job = {
  name: 'warnings-digest',
  everyMs: 10 * 60_000,
  run: async (app) => {
    const sent = await sendWarningsDigest(warningDepsOf(app));
    if (sent) app.log.info(sent, 'sent the weekly warnings digest');
  },
};
