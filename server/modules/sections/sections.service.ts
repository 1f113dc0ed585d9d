import type { Kysely } from 'kysely';
import type { CreateSectionInput, Section, UpdateSectionInput } from '../../../common/structure.schemas.js';
import type { Database } from '../../db/database.js';
import { uniqueViolation } from '../../db/constraint-errors.js';
import { conflict, notFound, validationFailed } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId, nowIso } from '../../lib/ids.js';
import { insertAudit } from '../audit/audit.repository.js';
import { findDepartmentById } from '../departments/departments.repository.js';
import {
  countSectionMembers,
  deleteSectionRow,
  findSectionById,
  insertSection,
  listSections,
  updateSectionRow,
  type SectionRow,
} from './sections.repository.js';

type Db = Kysely<Database>;

export function toSection(row: SectionRow): Section {
  return { id: row.id, name: row.name, departmentId: row.department_id, cohort: row.cohort };
}

function nameTaken(err: unknown) {
  return uniqueViolation(err)
    ? conflict('The department already has a section with that name.', [{ path: 'name', message: 'already taken' }])
    : null;
}

async function assertDepartment(db: Db, departmentId: string | null | undefined) {
  if (!departmentId) return;
  if (!(await findDepartmentById(db, departmentId))) {
    throw validationFailed('Unknown department.', [{ path: 'departmentId', message: 'no such department' }]);
  }
}

export async function listSectionsPage(db: Db, f: { q?: string; departmentId?: string; limit: number; cursor?: string }) {
  const after = f.cursor ? (decodeCursor(f.cursor, 2) as [string, string]) : undefined;
  const { rows, more } = await listSections(db, { ...f, after });
  const last = rows[rows.length - 1];
  return { items: rows.map(toSection), nextCursor: more ? encodeCursor([last.name, last.id]) : null };
}

export async function getSection(db: Db, id: string): Promise<Section> {
  const row = await findSectionById(db, id);
  if (!row) throw notFound('Section');
  return toSection(row);
}

export async function createSection(db: Db, actorId: string, input: CreateSectionInput): Promise<Section> {
  await assertDepartment(db, input.departmentId);
  const row: SectionRow = {
    id: newId(),
    name: input.name,
    department_id: input.departmentId ?? null,
    cohort: input.cohort ?? null,
    created_at: nowIso(),
  };
  try {
    await db.transaction().execute(async (trx) => {
      await insertSection(trx, row);
      await insertAudit(trx, { actorId, action: 'section.created', entity: 'section', entityId: row.id, after: toSection(row) });
    });
  } catch (err) {
    throw nameTaken(err) ?? err;
  }
  return toSection(row);
}

export async function updateSection(db: Db, actorId: string, id: string, input: UpdateSectionInput): Promise<Section> {
  await assertDepartment(db, input.departmentId);
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findSectionById(trx, id);
      if (!before) throw notFound('Section');
      const patch = { name: input.name, department_id: input.departmentId, cohort: input.cohort };
      if (Object.values(patch).every((v) => v === undefined)) return toSection(before);
      const after = await updateSectionRow(trx, id, patch);
      if (!after) throw notFound('Section');
      await insertAudit(trx, {
        actorId,
        action: 'section.updated',
        entity: 'section',
        entityId: id,
        before: toSection(before),
        after: toSection(after),
      });
      return toSection(after);
    });
  } catch (err) {
    throw nameTaken(err) ?? err;
  }
}

/** Deletes a section nobody belongs to; one with members is a 409. */
export async function deleteSection(db: Db, actorId: string, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await findSectionById(trx, id);
    if (!before) throw notFound('Section');
    const members = await countSectionMembers(trx, id);
    if (members > 0) throw conflict(`${members} user(s) still belong to the section; move them first.`);
    await deleteSectionRow(trx, id);
    await insertAudit(trx, { actorId, action: 'section.deleted', entity: 'section', entityId: id, before: toSection(before) });
  });
}
