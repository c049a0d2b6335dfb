import { h } from 'preact'
import { describe, expect, it } from 'vitest'
import { byTestId, expand, one, text } from './vnode'

const Inner = (p: { name: string }) => h('b', { 'data-testid': 'name' }, p.name)
const Outer = (p: { names: string[] }) =>
  h(
    'ul',
    null,
    p.names.map((n) => h('li', { key: n }, h(Inner, { name: n }), ' ', 42)),
  )

describe('expand', () => {
  it('calls function components and keeps element props and text', () => {
    const tree = expand(h(Outer, { names: ['a', 'b'] }))
    expect(byTestId(tree, 'name').map((e) => text(e))).toEqual(['a', 'b'])
    expect(text(tree)).toBe('a 42b 42')
    expect(() => one(tree, 'name')).toThrow('expected one name, found 2')
  })
})
