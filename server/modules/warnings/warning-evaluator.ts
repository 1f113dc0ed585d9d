import type { FastifyInstance } from 'fastify';
import type { AttendanceChangedEvent } from '../attendance/record-writer.js';
import { evaluateWarnings, warningDepsOf } from './warnings.service.js';

/**
 * Evaluates warnings after attendance changes commit (the record writer's `attendanceChanged`), one
 * course at a time: changes arriving while a course is being evaluated are folded into one more run.
 * Only held sessions count, so new check-ins (committed only while their session is open) are not
 * even looked at: if the session has closed since, its close re-evaluates everyone in it. A change
 * in a closed session — its close, or an edit after the fact — re-evaluates everyone recorded in it,
 * because a session becoming held moves every one of their percentages, not just the changed records'.
 */
export class WarningEvaluator {
  private readonly pending = new Map<string, Set<string>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly app: FastifyInstance) {}

  enqueue(e: AttendanceChangedEvent): void {
    if (e.checkinsOnly) return;
    let sessions = this.pending.get(e.courseId);
    if (!sessions) this.pending.set(e.courseId, (sessions = new Set()));
    sessions.add(e.sessionId);
    if (!this.running.has(e.courseId)) {
      const run = this.drain(e.courseId).finally(() => this.running.delete(e.courseId));
      this.running.set(e.courseId, run);
    }
  }

  private async drain(courseId: string): Promise<void> {
    for (;;) {
      const sessions = this.pending.get(courseId);
      if (!sessions || sessions.size === 0) return;
      this.pending.delete(courseId);
      try {
        const held = await this.app.db
          .selectFrom('attendance_records')
          .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
          .select('attendance_records.student_id')
          .distinct()
          .where('sessions.id', 'in', [...sessions])
          .where('sessions.state', '=', 'closed')
          .execute();
        if (held.length > 0) await evaluateWarnings(warningDepsOf(this.app), courseId, held.map((r) => r.student_id));
      } catch (err) {
        this.app.log.warn({ err, courseId }, 'could not evaluate attendance warnings');
      }
    }
  }

  /** Resolves once no evaluation is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    warningEvaluator: WarningEvaluator;
  }
}

/** Wires warning evaluation to committed attendance changes; waits for running evaluations on close. */
export function registerWarningEvaluation(app: FastifyInstance): void {
  const evaluator = new WarningEvaluator(app);
  app.decorate('warningEvaluator', evaluator);
  app.attendanceChanged.on((e) => evaluator.enqueue(e));
  app.addHook('onClose', async () => evaluator.idle());
}
