import { type Info as CsvInfo, parse as parseCsv } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { createUserBody, type CreateUserInput, type ImportResult, type UpdateUserInput, type User } from '../../../common/user.schemas.js';
import type { Database } from '../../db/database.js';
import { uniqueViolation } from '../../db/constraint-errors.js';
import { AppError, conflict, notFound, validationFailed } from '../../errors.js';
import { newId, nowIso } from '../../lib/ids.js';
import { hashPassword } from '../../lib/passwords.js';
import { insertAudit } from '../audit/audit.repository.js';
import {
  countActiveAdmins,
  findUserById,
  findUsersByUsernames,
  insertUser,
  listUsers,
  updateUserRow,
  type UserFilter,
  type UserRow,
} from './users.repository.js';

type Db = Kysely<Database>;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    role: row.role,
    username: row.username,
    name: row.name,
    email: row.email,
    phone: row.phone,
    studentNumber: row.student_number,
    staffNumber: row.staff_number,
    sectionId: row.section_id,
    guardianEmail: row.guardian_email ?? null,
    active: row.active === 1,
    createdAt: row.created_at,
  };
}

/** What the audit trail keeps of a user: never the password hash. */
function auditView(row: UserRow) {
  return { ...toUser(row), hasPassword: row.password_hash !== null };
}

const FIELD_OF_COLUMN: Record<string, string> = {
  username: 'username',
  email: 'email',
  student_number: 'studentNumber',
  staff_number: 'staffNumber',
};

/** Turns a unique-constraint violation on users into a 409 that names the taken field. */
export function userConflict(err: unknown): AppError | null {
  const cols = uniqueViolation(err);
  if (!cols) return null;
  const fields = cols.map((c) => FIELD_OF_COLUMN[c] ?? c);
  return conflict(
    fields.length ? `That ${fields.join(', ')} is already taken.` : 'A user with these details already exists.',
    fields.map((f) => ({ path: f, message: 'already taken' })),
  );
}

async function assertSection(db: Db, sectionId: string | null | undefined) {
  if (!sectionId) return;
  const s = await db.selectFrom('sections').select('id').where('id', '=', sectionId).executeTakeFirst();
  if (!s) throw validationFailed('Unknown section.', [{ path: 'sectionId', message: 'no such section' }]);
}

function checkRoleNumbers(role: string, studentNumber: string | null | undefined) {
  if (role === 'student' && !studentNumber) {
    throw validationFailed('A student needs a student number.', [{ path: 'studentNumber', message: 'required for students' }]);
  }
}

export async function createUser(db: Db, actorId: string | null, input: CreateUserInput): Promise<User> {
  checkRoleNumbers(input.role, input.studentNumber);
  await assertSection(db, input.sectionId);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const now = nowIso();
  const row: UserRow = {
    id: newId(),
    role: input.role,
    username: input.username.toLowerCase(),
    email: input.email ? input.email.toLowerCase() : null,
    name: input.name,
    phone: input.phone ?? null,
    student_number: input.role === 'student' ? (input.studentNumber ?? null) : null,
    staff_number: input.role === 'student' ? null : (input.staffNumber ?? null),
    section_id: input.sectionId ?? null,
    guardian_email: input.guardianEmail ? input.guardianEmail.toLowerCase() : null,
    active: 1,
    password_hash: passwordHash,
    created_at: now,
    updated_at: now,
  };
  try {
    await db.transaction().execute(async (trx) => {
      await insertUser(trx, row);
      await insertAudit(trx, { actorId, action: 'user.created', entity: 'user', entityId: row.id, after: auditView(row) });
    });
  } catch (err) {
    throw userConflict(err) ?? err;
  }
  return toUser(row);
}

export async function getUser(db: Db, id: string): Promise<User> {
  const row = await findUserById(db, id);
  if (!row) throw notFound('User');
  return toUser(row);
}

export async function updateUser(db: Db, actorId: string | null, id: string, input: UpdateUserInput): Promise<User> {
  if (actorId === id && input.active === false) throw cannotDeactivateSelf();
  const before = await findUserById(db, id);
  if (!before) throw notFound('User');
  const role = input.role ?? before.role;
  const studentNumber = input.studentNumber !== undefined ? input.studentNumber : before.student_number;
  checkRoleNumbers(role, studentNumber);
  await assertSection(db, input.sectionId);
  const patch: Partial<UserRow> = { updated_at: nowIso() };
  if (input.role !== undefined) patch.role = input.role;
  if (input.username !== undefined) patch.username = input.username.toLowerCase();
  if (input.name !== undefined) patch.name = input.name;
  if (input.email !== undefined) patch.email = input.email ? input.email.toLowerCase() : null;
  if (input.phone !== undefined) patch.phone = input.phone;
  if (input.studentNumber !== undefined) patch.student_number = input.studentNumber;
  if (input.staffNumber !== undefined) patch.staff_number = input.staffNumber;
  if (input.sectionId !== undefined) patch.section_id = input.sectionId;
  if (input.guardianEmail !== undefined) patch.guardian_email = input.guardianEmail ? input.guardianEmail.toLowerCase() : null;
  if (input.active !== undefined) patch.active = input.active ? 1 : 0;
  if (input.password !== undefined) patch.password_hash = await hashPassword(input.password);
  if (role === 'student') patch.staff_number = null;
  else if (before.student_number !== null || input.studentNumber) patch.student_number = null;
  if (before.role === 'admin' && before.active === 1 && (role !== 'admin' || patch.active === 0)) {
    await assertNotLastAdmin(db);
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const after = await updateUserRow(trx, id, patch);
      if (!after) throw notFound('User');
      if (patch.active === 0 || patch.password_hash) {
        await revokeAllRefreshTokens(trx, id);
      }
      await insertAudit(trx, {
        actorId,
        action: patch.active === 0 && before.active === 1 ? 'user.deactivated' : 'user.updated',
        entity: 'user',
        entityId: id,
        before: auditView(before),
        after: auditView(after),
      });
      return toUser(after);
    });
  } catch (err) {
    throw userConflict(err) ?? err;
  }
}

async function assertNotLastAdmin(db: Db) {
  if ((await countActiveAdmins(db)) <= 1) {
    throw new AppError(409, 'last_admin', 'Last administrator', 'The last active administrator cannot be removed or demoted.');
  }
}

export async function revokeAllRefreshTokens(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: nowIso() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Deactivates instead of deleting, so attendance history keeps its people. */
export function deactivateUser(db: Db, actorId: string, id: string): Promise<User> {
  return updateUser(db, actorId, id, { active: false });
}

const cannotDeactivateSelf = () =>
  new AppError(409, 'cannot_deactivate_self', 'Cannot deactivate yourself', 'Ask another administrator to do it.');

export async function listUsersPage(db: Db, filter: UserFilter) {
  const { rows, next } = await listUsers(db, filter);
  return { items: rows.map(toUser), nextCursor: next };
}

const CSV_COLUMNS = ['role', 'username', 'name', 'email', 'studentNumber', 'staffNumber', 'section', 'password', 'guardianEmail'] as const;

interface PlannedLine {
  line: number;
  existing: UserRow | undefined;
  input: CreateUserInput;
}

/**
 * Imports users from CSV (header row required). A line whose username exists updates that user.
 * All-or-nothing unless `partial`: with any bad line nothing is written and every bad line is reported.
 */
export async function importUsersCsv(db: Db, actorId: string | null, text: string, partial: boolean): Promise<ImportResult> {
  let parsed: { record: string[]; info: CsvInfo }[];
  try {
    // The typings do not model `info: true`, which wraps each record with where it was read.
    parsed = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as unknown as typeof parsed;
  } catch (err) {
    throw validationFailed(`The file is not valid CSV: ${(err as Error).message}`);
  }
  if (parsed.length === 0) throw validationFailed('The file is empty; it needs a header row.');
  const records = parsed.map((p) => p.record);
  // Report the file's own line numbers: skipped blank lines and quoted line breaks still count.
  const lineOf = (i: number) => parsed[i].info.lines - (records[i].join('').match(/\n/g)?.length ?? 0);
  const header = records[0].map((h) => h.trim());
  const missing = ['role', 'username', 'name'].filter((c) => !header.includes(c));
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (missing.length || unknown.length) {
    throw validationFailed(
      `Bad header row. Expected columns: ${CSV_COLUMNS.join(',')}.` +
        (missing.length ? ` Missing: ${missing.join(', ')}.` : '') +
        (unknown.length ? ` Unknown: ${unknown.join(', ')}.` : ''),
    );
  }
  const errors: ImportResult['errors'] = [];
  const sections = await db.selectFrom('sections').select(['id', 'name']).execute();
  const sectionByKey = new Map<string, string>();
  for (const s of sections) {
    sectionByKey.set(s.id, s.id);
    sectionByKey.set(s.name.toLowerCase(), s.id);
  }

  // Every problem of every line is reported in one round (a line with three mistakes must not take
  // three uploads to fix); only lines without any problem are written.
  const problems = new Map<number, string[]>();
  const report = (line: number, message: string) => {
    const list = problems.get(line);
    if (list) list.push(message);
    else problems.set(line, [message]);
  };
  const candidates: { line: number; input: CreateUserInput }[] = [];
  const unparsed: { line: number; username: string; input: TakenKeys }[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < records.length; i++) {
    const line = lineOf(i);
    const rec: Record<string, string> = {};
    header.forEach((h, j) => (rec[h] = records[i][j] ?? ''));
    if (Object.values(rec).every((v) => v === '')) continue;
    const sectionKey = rec.section?.toLowerCase();
    if (sectionKey && !sectionByKey.has(sectionKey)) report(line, `section: unknown section "${rec.section}"`);
    const parsed = createUserBody.safeParse({
      role: rec.role?.toLowerCase(),
      username: rec.username,
      name: rec.name,
      email: rec.email || null,
      studentNumber: rec.studentNumber || null,
      staffNumber: rec.staffNumber || null,
      sectionId: sectionKey ? (sectionByKey.get(sectionKey) ?? null) : null,
      // An optional column: a file without it leaves an existing guardian address as it is.
      ...(header.includes('guardianEmail') ? { guardianEmail: rec.guardianEmail || null } : {}),
      ...(rec.password ? { password: rec.password } : {}),
    });
    if (!parsed.success) {
      for (const iss of parsed.error.issues) report(line, `${iss.path.join('.') || 'line'}: ${iss.message}`);
    }
    const studentNumberMissing = rec.role?.toLowerCase() === 'student' && !rec.studentNumber;
    if (studentNumberMissing && !parsed.error?.issues.some((iss) => iss.path[0] === 'studentNumber')) {
      report(line, 'studentNumber: required for students');
    }
    const keys = [
      rec.username ? `username:${rec.username.toLowerCase()}` : null,
      rec.email ? `email:${rec.email.toLowerCase()}` : null,
      rec.studentNumber ? `studentNumber:${rec.studentNumber}` : null,
      rec.staffNumber ? `staffNumber:${rec.staffNumber}` : null,
    ].filter((k): k is string => k !== null);
    for (const dup of keys.filter((k) => seen.has(k))) {
      report(line, `${dup.split(':')[0]}: "${dup.slice(dup.indexOf(':') + 1)}" repeats line ${seen.get(dup)}`);
    }
    keys.forEach((k) => seen.has(k) || seen.set(k, line));
    if (parsed.success) candidates.push({ line, input: parsed.data });
    else {
      // Still look for clashes with other users, so they are reported in this round too.
      unparsed.push({ line, username: rec.username.toLowerCase(), input: { email: rec.email || null, studentNumber: rec.studentNumber || null, staffNumber: rec.staffNumber || null } });
    }
  }

  const existing = await findUsersByUsernames(db, [...candidates.map((c) => c.input.username.toLowerCase()), ...unparsed.map((u) => u.username)]);
  const byUsername = new Map(existing.map((u) => [u.username, u]));
  const planned: PlannedLine[] = candidates.map((c) => ({ ...c, existing: byUsername.get(c.input.username.toLowerCase()) }));

  // Numbers and e-mails taken by someone other than the line's own user are conflicts.
  const checked = [...planned, ...unparsed.map((u) => ({ ...u, existing: byUsername.get(u.username) }))];
  const taken = await findTaken(db, checked);
  for (const p of checked) for (const clash of taken(p)) report(p.line, clash);
  let ok: PlannedLine[] = planned.filter((p) => !problems.has(p.line));
  const demoted = ok.filter((p) => p.existing?.role === 'admin' && p.existing.active === 1 && p.input.role !== 'admin');
  if (demoted.length > 0 && demoted.length >= (await countActiveAdmins(db))) {
    for (const p of demoted) report(p.line, 'role: the last active administrator cannot be demoted');
    ok = ok.filter((p) => !demoted.includes(p));
  }
  for (const [line, messages] of [...problems].sort((a, b) => a[0] - b[0])) errors.push({ line, message: messages.join('; ') });
  if (errors.length > 0 && !partial) return { created: 0, updated: 0, errors };

  const hashes = await Promise.all(ok.map((p) => (p.input.password ? hashPassword(p.input.password) : Promise.resolve(null))));
  let created = 0;
  let updated = 0;
  // A clash the checks above could not see (a concurrent write) fails the whole import as a 409.
  await db.transaction().execute(async (trx) => {
    const now = nowIso();
    for (let k = 0; k < ok.length; k++) {
      const { input, existing: before } = ok[k];
      const fields = {
        role: input.role,
        name: input.name,
        email: input.email ? input.email.toLowerCase() : null,
        student_number: input.role === 'student' ? (input.studentNumber ?? null) : null,
        staff_number: input.role === 'student' ? null : (input.staffNumber ?? null),
        section_id: input.sectionId ?? null,
        ...(input.guardianEmail !== undefined ? { guardian_email: input.guardianEmail ? input.guardianEmail.toLowerCase() : null } : {}),
        updated_at: now,
      };
      if (before) {
        const after = await updateUserRow(trx, before.id, {
          ...fields,
          ...(hashes[k] ? { password_hash: hashes[k] } : {}),
        });
        if (hashes[k]) await revokeAllRefreshTokens(trx, before.id);
        await insertAudit(trx, {
          actorId,
          action: 'user.imported',
          entity: 'user',
          entityId: before.id,
          before: auditView(before),
          after: after ? auditView(after) : null,
        });
        updated++;
      } else {
        const row: UserRow = {
          id: newId(),
          username: input.username.toLowerCase(),
          phone: null,
          active: 1,
          password_hash: hashes[k],
          guardian_email: null,
          created_at: now,
          ...fields,
        };
        await insertUser(trx, row);
        await insertAudit(trx, { actorId, action: 'user.imported', entity: 'user', entityId: row.id, after: auditView(row) });
        created++;
      }
    }
  }).catch((err: unknown) => {
    throw userConflict(err) ?? err;
  });
  return { created, updated, errors };
}

type TakenKeys = Pick<CreateUserInput, 'email' | 'studentNumber' | 'staffNumber'>;
type TakenCheck = { input: TakenKeys; existing?: { id: string } };

async function findTaken(db: Db, planned: TakenCheck[]): Promise<(p: TakenCheck) => string[]> {
  const emails = planned.map((p) => p.input.email?.toLowerCase()).filter((e): e is string => !!e);
  const sn = planned.map((p) => p.input.studentNumber).filter((e): e is string => !!e);
  const st = planned.map((p) => p.input.staffNumber).filter((e): e is string => !!e);
  const owners = new Map<string, string>();
  const chunk = <T,>(xs: T[]) => Array.from({ length: Math.ceil(xs.length / 500) }, (_, i) => xs.slice(i * 500, i * 500 + 500));
  for (const [col, values, key] of [
    ['email', emails, 'email'],
    ['student_number', sn, 'studentNumber'],
    ['staff_number', st, 'staffNumber'],
  ] as const) {
    for (const part of chunk(values)) {
      const rows = await db.selectFrom('users').select(['id', col]).where(col, 'in', part).execute();
      for (const r of rows) owners.set(`${key}:${(r as Record<string, string>)[col]}`, r.id);
    }
  }
  return (p) => {
    const own = p.existing?.id;
    const checks: [string, string | null | undefined][] = [
      ['email', p.input.email?.toLowerCase()],
      ['studentNumber', p.input.studentNumber],
      ['staffNumber', p.input.staffNumber],
    ];
    const clashes: string[] = [];
    for (const [key, v] of checks) {
      if (!v) continue;
      const owner = owners.get(`${key}:${v}`);
      if (owner && owner !== own) clashes.push(`${key}: "${v}" belongs to another user`);
    }
    return clashes;
  };
}
