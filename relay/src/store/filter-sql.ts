import type { Filter } from '../core/filters'

/** Where a table of events keeps what NIP-01 filters match on. */
export interface FilterColumns {
  /** The event table's alias in the query; it has `id`, `pubkey` and `created_at` columns. */
  alias: string
  /** The kind column; omitted for a table that holds one kind only (checked by the caller). */
  kindColumn?: string
  /** The one single-letter tag held in a column of the event table, e.g. `i` in `info_hash`. */
  tagInColumn: { letter: string; column: string }
  /** The table of the other indexed tags: `name`, `value` and the owning event's id. */
  tagTable: { table: string; idColumn: string }
}

/**
 * The WHERE conditions of a NIP-01 filter and their parameters, in order.
 * Lists travel as one JSON parameter: the SQL text stays the same whatever
 * their length (one cached statement per filter shape) and no list can
 * overflow SQLite's parameter limit.
 */
export function filterWhere(
  filter: Filter,
  c: FilterColumns,
): { where: string[]; params: (string | number)[] } {
  const where: string[] = []
  const params: (string | number)[] = []
  const inList = (column: string, values: ReadonlySet<string | number>): void => {
    where.push(`${column} IN (SELECT value FROM json_each(?))`)
    params.push(JSON.stringify([...values]))
  }
  const a = c.alias
  if (filter.ids !== undefined) inList(`${a}.id`, filter.ids)
  if (filter.authors !== undefined) inList(`${a}.pubkey`, filter.authors)
  if (filter.kinds !== undefined && c.kindColumn !== undefined) {
    inList(`${a}.${c.kindColumn}`, filter.kinds)
  }
  if (filter.since !== undefined) {
    where.push(`${a}.created_at >= ?`)
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    where.push(`${a}.created_at <= ?`)
    params.push(filter.until)
  }
  const { table, idColumn } = c.tagTable
  for (const [letter, values] of [...filter.tags].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (letter === c.tagInColumn.letter) {
      inList(`${a}.${c.tagInColumn.column}`, values)
    } else {
      where.push(
        `EXISTS (SELECT 1 FROM ${table} tg WHERE tg.${idColumn} = ${a}.id AND tg.name = ?
           AND tg.value IN (SELECT value FROM json_each(?)))`,
      )
      params.push(letter, JSON.stringify([...values]))
    }
  }
  return { where, params }
}
