/** The environment schema as the JSON file editors read (draft-07, as ajv validates it), and the precompiled validators. */
import { SEALED_VALUES_SCHEMA } from './sealed-values';
import { EnvironmentSchema } from './schema';
import { validatorsSource } from './validators';

/** The plain JSON of the TypeBox schema (TypeBox's symbol keys left out). */
function environmentSchema(): object {
  return JSON.parse(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...EnvironmentSchema })) as object;
}

export function schemaJson(): string {
  return `${JSON.stringify(environmentSchema(), null, 2)}\n`;
}

/** The source of lib/model/validators.generated.js. */
export function validatorsJs(): string {
  return validatorsSource(environmentSchema(), SEALED_VALUES_SCHEMA);
}
