// Writes schema/project.schema.json from the zod schema (a test checks it is up to date).
import { writeFileSync } from 'node:fs';
import { projectJsonSchema } from '../lambdas/core/project-schema.ts';

writeFileSync(new URL('../schema/project.schema.json', import.meta.url), projectJsonSchema());
