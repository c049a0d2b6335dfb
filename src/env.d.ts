/** Which browser this build targets; replaced at build time by vite.config.ts. */
declare const __BROWSER__: 'chrome' | 'firefox'
