export async function handler(): Promise<never> {
  throw new Error('delivery-complete: not implemented yet');
}
