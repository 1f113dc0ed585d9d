import type { FastifyInstance } from 'fastify';

export interface Job {
  name: string;
  everyMs: number;
  /** Must be safe to run on several nodes at once (claim rows atomically). */
  run(app: FastifyInstance): Promise<unknown>;
}

/**
 * Runs periodic jobs on this node while it is up (JOBS=true). Each run is awaited before the next is
 * scheduled, with a little jitter so nodes started together do not run in lockstep.
 */
export function startJobs(app: FastifyInstance, jobs: Job[]): void {
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  const schedule = (job: Job, delay: number) => {
    if (stopped) return;
    const t = setTimeout(async () => {
      try {
        await job.run(app);
      } catch (err) {
        app.log.warn({ err, job: job.name }, 'periodic job failed; it will run again');
      }
      schedule(job, job.everyMs * (0.9 + Math.random() * 0.2));
    }, delay);
    t.unref();
    timers.set(job.name, t);
  };
  app.addHook('onReady', async () => {
    for (const job of jobs) schedule(job, Math.min(job.everyMs, 1000 + Math.random() * 1000));
  });
  app.addHook('onClose', async () => {
    stopped = true;
    for (const t of timers.values()) clearTimeout(t);
  });
}
