export async function handler(): Promise<never> {
  throw new Error('upload-url: not implemented yet');
}
