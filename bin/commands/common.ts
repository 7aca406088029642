/** Shared pieces of the `lsi` commands. */

/** A mistake by the user: printed as is, without a stack trace, exit code 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const nlFormat = new Intl.NumberFormat('nl-NL');

/** A number as a Dutch reader writes it: 1.000.000. */
export function nl(n: number): string {
  return nlFormat.format(n);
}
