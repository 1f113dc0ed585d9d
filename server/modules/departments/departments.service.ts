import type { Kysely } from 'kysely';
import type { CreateDepartmentInput, Department, UpdateDepartmentInput } from '../../../common/structure.schemas.js';
import type { Database } from '../../db/database.js';
import { uniqueViolation } from '../../db/constraint-errors.js';
import { conflict, notFound } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import {
  countDepartmentDependents,
  deleteDepartmentRow,
  findDepartmentById,
  insertDepartment,
  listDepartments,
  updateDepartmentRow,
  type DepartmentRow,
} from './departments.repository.js';

type Db = Kysely<Database>;

export function toDepartment(row: DepartmentRow): Department {
  return { id: row.id, code: row.code, name: row.name };
}

function codeTaken(err: unknown) {
  return uniqueViolation(err)
    ? conflict('A department with that code already exists.', [{ path: 'code', message: 'already taken' }])
    : null;
}

export async function listDepartmentsPage(db: Db, f: { q?: string; limit: number; cursor?: string }) {
  const after = f.cursor ? decodeCursor(f.cursor, 1)[0] : undefined;
  const { rows, more } = await listDepartments(db, { q: f.q, limit: f.limit, after });
  return { items: rows.map(toDepartment), nextCursor: more ? encodeCursor([rows[rows.length - 1].code]) : null };
}

export async function getDepartment(db: Db, id: string): Promise<Department> {
  const row = await findDepartmentById(db, id);
  if (!row) throw notFound('Department');
  return toDepartment(row);
}

export async function createDepartment(db: Db, actorId: string, input: CreateDepartmentInput): Promise<Department> {
  const row: DepartmentRow = { id: newId(), code: input.code, name: input.name, created_at: nowIso() };
  try {
    await db.transaction().execute(async (trx) => {
      await insertDepartment(trx, row);
      await insertAudit(trx, { actorId, action: 'department.created', entity: 'department', entityId: row.id, after: toDepartment(row) });
    });
  } catch (err) {
    throw codeTaken(err) ?? err;
  }
  return toDepartment(row);
}

export async function updateDepartment(db: Db, actorId: string, id: string, input: UpdateDepartmentInput): Promise<Department> {
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findDepartmentById(trx, id);
      if (!before) throw notFound('Department');
      if (input.code === undefined && input.name === undefined) return toDepartment(before);
      const after = await updateDepartmentRow(trx, id, { code: input.code, name: input.name });
      if (!after) throw notFound('Department');
      await insertAudit(trx, {
        actorId,
        action: 'department.updated',
        entity: 'department',
        entityId: id,
        before: toDepartment(before),
        after: toDepartment(after),
      });
      return toDepartment(after);
    });
  } catch (err) {
    throw codeTaken(err) ?? err;
  }
}

/** Deletes an empty department; one that still has sections or courses is a 409. */
export async function deleteDepartment(db: Db, actorId: string, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await findDepartmentById(trx, id);
    if (!before) throw notFound('Department');
    const deps = await countDepartmentDependents(trx, id);
    if (deps.sections > 0 || deps.courses > 0) {
      throw conflict(
        `The department still has ${deps.sections} section(s) and ${deps.courses} course(s); move or delete them first.`,
      );
    }
    await deleteDepartmentRow(trx, id);
    await insertAudit(trx, { actorId, action: 'department.deleted', entity: 'department', entityId: id, before: toDepartment(before) });
  });
}
