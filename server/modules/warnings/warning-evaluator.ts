import type { FastifyInstance } from 'fastify';
import type { AttendanceChangedEvent } from '../attendance/record-writer.js';
import { evaluateWarnings, warningDepsOf } from './warnings.service.js';

/** What is waiting to be evaluated in one course: the sessions whose records changed, or everyone. */
interface Pending {
  sessions: Set<string>;
  wholeCourse: boolean;
}

/**
 * Evaluates warnings after attendance changes commit (the record writer's `attendanceChanged`), one
 * course at a time: changes arriving while a course is being evaluated are folded into one more run.
 * Only held sessions count, so a change in an open session (a check-in) costs nothing here; a change
 * in a closed session — its close, or an edit after the fact — re-evaluates everyone recorded in it,
 * because a session becoming held moves every one of their percentages, not just the changed records'.
 *
 * A change to what the rules measure against — the course's threshold or rules, or its schedule (a
 * session added, deleted or cancelled changes how many remain) — re-evaluates the whole course:
 * every enrolled student and everyone with an open warning there (`courseChanged`).
 */
export class WarningEvaluator {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly app: FastifyInstance) {}

  enqueue(e: AttendanceChangedEvent): void {
    // Check-ins go into open sessions, which count once they close (the close is a change of its own).
    if (e.checkinsOnly) return;
    this.pendingOf(e.courseId).sessions.add(e.sessionId);
    this.start(e.courseId);
  }

  /** The course's rules, threshold or schedule changed: evaluate all of its students. */
  courseChanged(courseId: string): void {
    this.pendingOf(courseId).wholeCourse = true;
    this.start(courseId);
  }

  private pendingOf(courseId: string): Pending {
    let p = this.pending.get(courseId);
    if (!p) this.pending.set(courseId, (p = { sessions: new Set(), wholeCourse: false }));
    return p;
  }

  private start(courseId: string): void {
    if (this.running.has(courseId)) return;
    const run = this.drain(courseId).finally(() => this.running.delete(courseId));
    this.running.set(courseId, run);
  }

  private async drain(courseId: string): Promise<void> {
    for (;;) {
      const p = this.pending.get(courseId);
      if (!p || (p.sessions.size === 0 && !p.wholeCourse)) return;
      this.pending.delete(courseId);
      try {
        const students = p.wholeCourse ? await this.studentsOfCourse(courseId) : await this.studentsHeldIn(p.sessions);
        if (students.length > 0) await evaluateWarnings(warningDepsOf(this.app), courseId, students);
      } catch (err) {
        this.app.log.warn({ err, courseId }, 'could not evaluate attendance warnings');
      }
    }
  }

  private async studentsHeldIn(sessions: Set<string>): Promise<string[]> {
    const held = await this.app.db
      .selectFrom('attendance_records')
      .innerJoin('sessions', 'sessions.id', 'attendance_records.session_id')
      .select('attendance_records.student_id')
      .distinct()
      .where('sessions.id', 'in', [...sessions])
      .where('sessions.state', '=', 'closed')
      .execute();
    return held.map((r) => r.student_id);
  }

  private async studentsOfCourse(courseId: string): Promise<string[]> {
    const [enrolled, warned] = await Promise.all([
      this.app.db.selectFrom('enrollments').select('student_id').where('course_id', '=', courseId).execute(),
      this.app.db
        .selectFrom('warnings')
        .select('student_id')
        .where('course_id', '=', courseId)
        .where('state', '=', 'open')
        .execute(),
    ]);
    return [...new Set([...enrolled, ...warned].map((r) => r.student_id))];
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
