// Checks every value that arrives from outside (a request, a bundle, a config
// file) before any code walks it: no key that reaches an object's prototype
// (`__proto__`, `constructor`, `prototype`, also as a segment of a dotted config
// path such as a sweep axis "__proto__.polluted"), and no nesting deep enough to
// overflow the stack of a recursive reader. Pure: shared by every boundary.
import { WorkbenchError } from './errors';

export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_JSON_DEPTH = 64;

/** Whether a key, or any segment of a dotted path, names a prototype property. */
export function isPrototypeKey(key: string): boolean {
  return key.split('.').some((segment) => PROTOTYPE_KEYS.has(segment));
}

/** A value from outside that must not be used: carries the dotted path of the offending key. */
export class UntrustedInputError extends WorkbenchError {
  constructor(where: string, path: string, problem: string) {
    super('invalid_input', `${where}: ${path || '(value)'}: ${problem}`, [{ path: path || '(value)', message: problem }]);
    this.name = 'UntrustedInputError';
  }
}

/**
 * Throws UntrustedInputError when `value` holds a prototype key at any depth or
 * is nested deeper than MAX_JSON_DEPTH. `where` names the input ("Invalid
 * argument for 'sweeps:start'", "bundle runs.kervrun").
 */
export function assertPlainJson(value: unknown, where: string): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: node, path, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) throw new UntrustedInputError(where, path, `nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = path ? `${path}.${key}` : key;
      if (isPrototypeKey(key)) {
        throw new UntrustedInputError(where, child, `'${key}' is not allowed as a key (it would reach the object prototype)`);
      }
      stack.push({ value: (node as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
}
