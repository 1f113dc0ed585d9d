import type { FastifyInstance } from 'fastify';

export interface Job {
  name: string;
  everyMs: number;
  /** Must be safe to run on several nodes at once (claim rows atomically). */
  run(app: FastifyInstance): Promise<unknown>;
}

export interface JobControl {
  /** Runs the job now instead of at its next tick (or again right after the run in progress). */
  kick(name: string): void;
}

/**
 * Runs periodic jobs on this node while it is up (JOBS=true). Each run is awaited before the next is
 * scheduled, with a little jitter so nodes started together do not run in lockstep.
 */
export function startJobs(app: FastifyInstance, jobs: Job[]): JobControl {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<string>();
  const kicked = new Set<string>();
  let started = false;
  let stopped = false;
  const schedule = (job: Job, delay: number) => {
    if (stopped) return;
    clearTimeout(timers.get(job.name));
    const t = setTimeout(async () => {
      timers.delete(job.name);
      running.add(job.name);
      kicked.delete(job.name);
      try {
        await job.run(app);
      } catch (err) {
        app.log.warn({ err, job: job.name }, 'periodic job failed; it will run again');
      }
      running.delete(job.name);
      schedule(job, kicked.has(job.name) ? 0 : job.everyMs * (0.9 + Math.random() * 0.2));
    }, delay);
    t.unref();
    timers.set(job.name, t);
  };
  app.addHook('onReady', async () => {
    started = true;
    for (const job of jobs) schedule(job, Math.min(job.everyMs, 1000 + Math.random() * 1000));
  });
  app.addHook('onClose', async () => {
    stopped = true;
    for (const t of timers.values()) clearTimeout(t);
  });
  return {
    kick(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job || !started || stopped) return;
      if (running.has(name)) kicked.add(name);
      else schedule(job, 0);
    },
  };
}
