/**
 * Like Promise.all, but settles only when every promise has: no step is still running when the caller undoes them
 * after a failure. Rejects with the first failure in order.
 */
export async function allSettledOrThrow<T extends readonly unknown[]>(
  ps: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
