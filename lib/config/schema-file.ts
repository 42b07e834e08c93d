/** The environment schema as the JSON file editors read (draft-07, as ajv validates it). */
import { EnvironmentSchema } from './schema';

export function schemaJson(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...EnvironmentSchema }, null, 2)}\n`;
}
