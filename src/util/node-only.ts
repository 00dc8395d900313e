// Loading a module that only Node can run (worker_threads, the official runtimes read from node_modules, h5wasm's
// Node build) from code that browsers run too. The specifier is a value, not a literal, so bundlers leave the import
// alone: the module never enters a browser bundle, and callers only reach this where Node is the host.

/** True in Node (not in a browser, nor in a Web Worker). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** `import(specifier)` hidden from bundlers; `specifier` is resolved against `base` (the caller's import.meta.url). */
export function importNodeOnly<T>(specifier: string, base: string): Promise<T> {
  const target = specifier.startsWith('.') ? new URL(specifier, base).href : specifier;
  return import(/* @vite-ignore */ target) as Promise<T>;
}
