/**
 * The relay's statements are written once, for SQLite; these are the few
 * rewrites PostgreSQL needs to run the same text. Kept to what the relay's
 * own SQL uses, with a test per rewrite (pg-sql.test.ts).
 */

/**
 * `?` placeholders become `$1…$n` in order. Question marks inside string
 * literals, quoted identifiers and comments are left alone.
 */
export function numberPlaceholders(sql: string): { text: string; params: number } {
  let out = ''
  let n = 0
  let i = 0
  while (i < sql.length) {
    const c = sql[i] as string
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c)
      out += sql.slice(i, end)
      i = end
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      const stop = end === -1 ? sql.length : end
      out += sql.slice(i, stop)
      i = stop
    } else if (c === '?') {
      out += `$${++n}`
      i++
    } else {
      out += c
      i++
    }
  }
  return { text: out, params: n }
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1
  while (i < sql.length) {
    if (sql[i] === quote) {
      // A doubled quote is an escaped one inside the literal.
      if (sql[i + 1] === quote) i += 2
      else return i + 1
    } else i++
  }
  return sql.length
}

/**
 * SQLite's `json_each(?)` table (a JSON array bound as text, used by the
 * filter SQL for `IN` lists) is `jsonb_array_elements_text` on PostgreSQL.
 * Its elements are text there, so the column is compared as text: a no-op
 * for the text columns (ids, pubkeys, tag values), whose indexes still
 * serve, and exact for integer kinds.
 */
export function toPostgresSql(sql: string): { text: string; params: number } {
  const rewritten = sql.replace(
    /([\w.]+) IN \(SELECT value FROM json_each\(\?\)\)/g,
    '$1::text IN (SELECT value FROM jsonb_array_elements_text(?::jsonb) AS j(value))',
  )
  return numberPlaceholders(rewritten)
}
