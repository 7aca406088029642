export async function handler(): Promise<never> {
  throw new Error('record-failure: not implemented yet');
}
