/** The project file's JSON Schema, for editors (`"$schema": "../schema/project.schema.json"`). */
import * as z from 'zod';
import { projectSchema } from './project.ts';

export function projectJsonSchema(): string {
  const schema = z.toJSONSchema(projectSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'LSI-project (project.json)' }, null, 2)}\n`;
}
