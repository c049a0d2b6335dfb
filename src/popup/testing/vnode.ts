import type { ComponentChildren, VNode } from 'preact'

/**
 * Test support: renders a tree of hook-free function components to plain
 * element vnodes by calling them, so components can be checked (test ids,
 * text, handlers) without a DOM.
 */
export interface Element {
  type: string
  props: Record<string, unknown>
  children: Node[]
}
export type Node = Element | string

export function expand(node: ComponentChildren): Node[] {
  if (node === null || node === undefined || typeof node === 'boolean') return []
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'bigint')
    return [String(node)]
  if (Array.isArray(node)) return node.flatMap((n) => expand(n as ComponentChildren))
  const v = node as VNode<Record<string, unknown>>
  if (typeof v.type === 'function') {
    const render = v.type as (props: Record<string, unknown>) => ComponentChildren
    return expand(render(v.props))
  }
  const { children, ...props } = v.props as { children?: ComponentChildren }
  return [{ type: v.type, props, children: expand(children) }]
}

export function findAll(nodes: Node[], match: (e: Element) => boolean): Element[] {
  const out: Element[] = []
  const walk = (list: Node[]): void => {
    for (const n of list) {
      if (typeof n === 'string') continue
      if (match(n)) out.push(n)
      walk(n.children)
    }
  }
  walk(nodes)
  return out
}

export function byTestId(nodes: Node[], id: string): Element[] {
  return findAll(nodes, (e) => e.props['data-testid'] === id)
}

/** The single element with this test id; throws otherwise, to keep tests honest. */
export function one(nodes: Node[], id: string): Element {
  const found = byTestId(nodes, id)
  if (found.length !== 1) throw new Error(`expected one ${id}, found ${found.length}`)
  return found[0] as Element
}

export function text(nodes: Node | Node[]): string {
  const list = Array.isArray(nodes) ? nodes : [nodes]
  return list.map((n) => (typeof n === 'string' ? n : text(n.children))).join('')
}
