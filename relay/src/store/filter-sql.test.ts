import { describe, expect, it } from 'vitest'
import { parseFilter } from '../core/filters'
import { DEFAULT_LIMITS } from '../core/limits'
import { filterWhere, type FilterColumns } from './filter-sql'

const COLUMNS: FilterColumns = {
  alias: 'e',
  kindColumn: 'kind',
  tagInColumn: { letter: 'i', column: 'info_hash' },
  tagTable: { table: 'tags', idColumn: 'event_id' },
}
const f = (v: unknown) => parseFilter(v, DEFAULT_LIMITS)
const H = 'a'.repeat(40)

describe('filterWhere', () => {
  it('gives no condition for an empty filter', () => {
    expect(filterWhere(f({}), COLUMNS)).toEqual({ where: [], params: [] })
  })

  it('lists conditions and their parameters in the same order, lists as JSON', () => {
    const { where, params } = filterWhere(
      f({ authors: ['b'.repeat(64)], kinds: [21000], since: 5, until: 9, '#t': ['x'], '#i': [H] }),
      COLUMNS,
    )
    expect(where.map((w) => w.replace(/\s+/g, ' '))).toEqual([
      'e.pubkey IN (SELECT value FROM json_each(?))',
      'e.kind IN (SELECT value FROM json_each(?))',
      'e.created_at >= ?',
      'e.created_at <= ?',
      'e.info_hash IN (SELECT value FROM json_each(?))',
      'EXISTS (SELECT 1 FROM tags tg WHERE tg.event_id = e.id AND tg.name = ? AND tg.value IN (SELECT value FROM json_each(?)))',
    ])
    expect(params).toEqual([
      JSON.stringify(['b'.repeat(64)]),
      '[21000]',
      5,
      9,
      `["${H}"]`,
      't',
      '["x"]',
    ])
  })

  it('leaves kinds to the caller when the table has no kind column', () => {
    const oneKind: FilterColumns = { ...COLUMNS, kindColumn: undefined }
    expect(filterWhere(f({ kinds: [1] }), oneKind)).toEqual({ where: [], params: [] })
  })
})
