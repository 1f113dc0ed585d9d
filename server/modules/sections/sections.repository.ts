import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, SectionsTable } from '../../db/database.js';

export type SectionRow = Selectable<SectionsTable>;
type Db = Kysely<Database>;

export function findSectionById(db: Db, id: string): Promise<SectionRow | undefined> {
  return db.selectFrom('sections').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A page of sections ordered by name, then id; fetches one extra row to know if there is more. */
export async function listSections(
  db: Db,
  f: { q?: string; departmentId?: string; limit: number; after?: [string, string] },
): Promise<{ rows: SectionRow[]; more: boolean }> {
  let q = db.selectFrom('sections').selectAll().orderBy('name').orderBy('id').limit(f.limit + 1);
  if (f.departmentId) q = q.where('department_id', '=', f.departmentId);
  if (f.after) {
    const [name, id] = f.after;
    q = q.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]));
  }
  if (f.q) {
    const like = `%${f.q.toLowerCase()}%`;
    q = q.where((eb) => eb.or([eb(eb.fn('lower', ['name']), 'like', like), eb(eb.fn('lower', ['cohort']), 'like', like)]));
  }
  const rows = await q.execute();
  const more = rows.length > f.limit;
  if (more) rows.pop();
  return { rows, more };
}

export async function insertSection(db: Db, row: SectionRow): Promise<void> {
  await db.insertInto('sections').values(row).execute();
}

export function updateSectionRow(db: Db, id: string, patch: Updateable<SectionsTable>): Promise<SectionRow | undefined> {
  return db.updateTable('sections').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteSectionRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sections').where('id', '=', id).execute();
}

export async function countSectionMembers(db: Db, id: string): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('section_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Ids of the active students of a section. */
export async function activeStudentIdsOfSection(db: Db, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('section_id', '=', id)
    .where('role', '=', 'student')
    .where('active', '=', 1)
    .execute();
  return rows.map((r) => r.id);
}
