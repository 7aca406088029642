export async function handler(): Promise<never> {
  throw new Error('link: not implemented yet');
}
