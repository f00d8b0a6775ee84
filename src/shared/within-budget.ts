/** What a piece of work gave within its time budget: its value, or that it was late. */
export type Budgeted<T> = { done: true; value: T } | { done: false }

/**
 * Wait for `work` at most `ms`: a person or an admin page waiting on a slow dependency gets an
 * answer without it. Late work goes on and its result is dropped (catch it if it may fail);
 * a failure within the budget rejects as usual.
 */
export async function withinBudget<T>(ms: number, work: Promise<T>): Promise<Budgeted<T>> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Budgeted<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms)
  })
  try {
    return await Promise.race([work.then((value): Budgeted<T> => ({ done: true, value })), late])
  } finally {
    clearTimeout(timer)
  }
}
