import { AppError } from '../../errors.js';
import { assertAccess } from '../../plugins/auth.plugin.js';
import { carryError, reviveError, type CarriedError } from './carried-error.js';
import type { StudentInCourse } from './records.repository.js';

/**
 * Who may be checked in, when the write command reads the student itself (in the transaction's
 * first statement, with the session's state) rather than the caller before it. Data, not a
 * function, so that a command can go to the check-in writer thread (writer-thread.ts) as it is.
 */
export type AdmitRule =
  /**
   * The signed-in caller (a code or QR check-in): 401 when their account is gone or deactivated,
   * 403 when no longer a student (what `requireUser('student')` checks), then `not_enrolled` —
   * counted as a wrong code by the caller — then `refusal`.
   */
  | { who: 'caller'; refusal?: CarriedError }
  /** A scanned student number: `unknown_student` unless an active student has it, then `not_enrolled` naming it, then `refusal`. */
  | { who: 'scanned'; refusal?: CarriedError };

/** The rule for `who`, with the policy's refusal (decideDeferred; undefined: none) as data. */
export function admitRule(who: AdmitRule['who'], refusal: unknown): AdmitRule {
  return { who, refusal: refusal === undefined ? undefined : carryError(refusal) };
}

/** The signed-in caller's own check-in: the course of the session is not theirs. */
export const notEnrolled = () =>
  new AppError(403, 'not_enrolled', 'Not enrolled', 'You are not enrolled in the course of this session. Ask your teacher to add you.');
export const unknownStudent = (studentNumber: string) => new AppError(404, 'unknown_student', 'Unknown student number', `No student has the number ${studentNumber}.`);
export const notEnrolledIn = (studentNumber: string) =>
  new AppError(403, 'not_enrolled', 'Not enrolled', `Student ${studentNumber} is not enrolled in the course of the session this device scans for.`);

const STUDENTS = new Set(['student'] as const);

/** The student the rule admits from their row (read in the transaction), or the rule's refusal. */
export function admitStudent(rule: AdmitRule, studentNumber: string | undefined, row: StudentInCourse | undefined): { id: string; name: string; studentNumber: string | null } {
  if (rule.who === 'caller') {
    assertAccess(row, STUDENTS);
    if (!row.enrolled) throw notEnrolled();
  } else {
    if (!row || row.role !== 'student' || row.active !== 1) throw unknownStudent(studentNumber ?? '');
    if (!row.enrolled) throw notEnrolledIn(studentNumber ?? '');
  }
  if (rule.refusal) throw reviveError(rule.refusal);
  return { id: row.id, name: row.name, studentNumber: row.student_number };
}
