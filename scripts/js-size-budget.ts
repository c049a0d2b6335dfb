import type { Plugin } from 'vite'

/** Sizes here are in KB of 1024 bytes. */
export const KB = 1024

export interface JsBudget {
  /** What all emitted JavaScript together should weigh, minified. */
  goal: number
  /** Above this the build fails; the goal, or what was reached while the goal is not. */
  ceiling: number
}

const kb = (bytes: number): string => `${(bytes / KB).toFixed(1)} KB`

/**
 * Prints the minified size of every emitted JavaScript file and their total,
 * and fails the build when the total is above the ceiling. It prints even at
 * `--logLevel warn`, so the sizes show in every test run.
 */
export function jsSizeBudget(target: string, budget: JsBudget): Plugin {
  return {
    name: 'tseed:js-size-budget',
    apply: 'build',
    writeBundle(_options, bundle) {
      const files = Object.values(bundle)
        .filter((f) => f.fileName.endsWith('.js'))
        .map((f) => {
          const text = f.type === 'chunk' ? f.code : f.source
          const bytes = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength
          return { name: f.fileName, bytes }
        })
        .sort((a, b) => b.bytes - a.bytes)
      const total = files.reduce((sum, f) => sum + f.bytes, 0)
      const limits =
        budget.ceiling > budget.goal
          ? `goal ${budget.goal / KB} KB not met, ceiling ${budget.ceiling / KB} KB`
          : `budget ${budget.ceiling / KB} KB`
      const lines = [
        `JavaScript size (${target}, minified, 1 KB = 1024 bytes):`,
        ...files.map((f) => `  ${kb(f.bytes).padStart(9)}  ${f.name}`),
        `  ${kb(total).padStart(9)}  total (${total} bytes); ${limits}`,
      ]
      console.info(lines.join('\n'))
      if (total > budget.ceiling) {
        this.error(
          `JavaScript for ${target} is ${kb(total)} (${total} bytes), above its ceiling of ${budget.ceiling / KB} KB`,
        )
      }
    },
  }
}
