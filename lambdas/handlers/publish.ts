export async function handler(): Promise<never> {
  throw new Error('publish: not implemented yet');
}
