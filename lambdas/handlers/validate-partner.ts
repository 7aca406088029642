export async function handler(): Promise<never> {
  throw new Error('validate-partner: not implemented yet');
}
