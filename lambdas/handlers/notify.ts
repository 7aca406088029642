export async function handler(): Promise<never> {
  throw new Error('notify: not implemented yet');
}
