/**
 * The typings name AbortSignal, which TypeScript's ES libraries lack (it comes from the DOM library
 * or @types/node). This minimal global declaration merges with either of those and stands in for
 * them when a project has neither, so the package's .d.ts files compile without @types/node.
 * src/index.ts imports it for that effect.
 */
export {};

declare global {
  interface AbortSignal {
    readonly aborted: boolean;
  }
}
