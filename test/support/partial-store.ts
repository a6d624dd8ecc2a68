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
