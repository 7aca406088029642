export async function handler(): Promise<never> {
  throw new Error('upload-received: not implemented yet');
}
