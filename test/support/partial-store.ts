import type { Store } from '../../src/services/store';

/**
 * A stand-in for a port not under test: any call fails loudly, so a contract run over one adapter's
 * ports shows at once if it strays into another's.
 */
export function unimplemented<T>(port: string): T {
  return new Proxy(
    {},
    {
      get: (_target, method) => () =>
        Promise.reject(new Error(`${port}.${String(method)} is not part of this test`)),
    },
  ) as T;
}

type Method = { [M in keyof Store]: Store[M] extends (...args: never[]) => unknown ? M : never }[keyof Store];

/**
 * The store with one method replaced by what `by` makes of the original (to count its calls, or hold
 * them); every other member is the store's own.
 */
export function replacing<M extends Method>(
  store: Store,
  method: M,
  by: (original: Store[M]) => Store[M],
): Store {
  const original = (store[method] as (...args: unknown[]) => unknown).bind(store) as Store[M];
  const replaced = by(original);
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === method) return replaced;
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
