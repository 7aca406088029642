// Bundles the `lsi` command into dist/lsi.mjs (one file, fast start-up).
import { build } from 'esbuild';

await build({
  entryPoints: ['bin/lsi.ts'],
  outfile: 'dist/lsi.mjs',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
});
