export async function handler(): Promise<never> {
  throw new Error('teardown: not implemented yet');
}
