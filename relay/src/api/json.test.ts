import { describe, expect, it } from 'vitest'
import {
  amountValue,
  onlyFields,
  parseJsonObject,
  queryAmount,
  queryInteger,
  requiredAmount,
} from './json'

const bytes = (s: string) => new TextEncoder().encode(s)

describe('request input', () => {
  it('parses one JSON object and nothing else', () => {
    expect(parseJsonObject(bytes('{"a":"1"}'))).toEqual({ a: '1' })
    for (const bad of ['', '[]', '"x"', 'null', '{', '\u00ff']) {
      expect(() => parseJsonObject(bytes(bad))).toThrow(/JSON object/)
    }
    expect(() => parseJsonObject(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(/JSON object/)
  })

  it('reads amounts only as decimal strings up to 2^62', () => {
    expect(amountValue('1000', 'x')).toBe(1000n)
    expect(amountValue('4611686018427387904', 'x')).toBe(2n ** 62n)
    expect(() => amountValue(1000, 'amount_sat')).toThrow(
      /decimal string such as "1000", not a JSON number/,
    )
    expect(() => amountValue('4611686018427387905', 'x')).toThrow(/at most 2\^62/)
    expect(() => amountValue('-1', 'x')).toThrow(/digit string/)
    expect(() => amountValue('1e3', 'x')).toThrow(/digit string/)
    expect(() => amountValue('0', 'x', 1n)).toThrow(/at least 1/)
    expect(() => requiredAmount({}, 'min_out')).toThrow(/min_out is required/)
  })

  it('refuses unknown fields', () => {
    expect(() => {
      onlyFields({ side: 'x', minout: '1' }, ['side', 'min_out'])
    }).toThrow(/unknown field "minout"/)
  })

  it('reads query amounts and integers', () => {
    const q = new URLSearchParams('a=5&b=1&b=2&limit=20')
    expect(queryAmount(q, 'a')).toBe(5n)
    expect(queryAmount(q, 'missing')).toBeUndefined()
    expect(() => queryAmount(q, 'b')).toThrow(/more than once/)
    expect(queryInteger(q, 'limit', 1, 1000, 50)).toBe(20)
    expect(queryInteger(q, 'none', 1, 1000, 50)).toBe(50)
    expect(() => queryInteger(new URLSearchParams('limit=0'), 'limit', 1, 1000, 50)).toThrow(
      /from 1 to 1000/,
    )
  })
})
