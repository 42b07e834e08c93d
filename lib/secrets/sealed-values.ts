/**
 * The sealed values of an environment: `secrets/<env>/sealed-values.yaml`, ciphertext only, each
 * value with the date it was last rotated, written by `npm run seal`. Layout:
 *
 *   <namespace>:
 *     <secret name>:
 *       scope: strict            # optional: strict (default), namespace-wide or cluster-wide
 *       type: Opaque             # optional Secret type
 *       data:
 *         <key>: { sealed: <base64>, rotated: YYYY-MM-DD }
 */
import { isMap, parseDocument, type Document } from 'yaml';
import type { Problem } from '../config/problems';
import { validators } from '../config/validators';
import { readYamlFile, schemaProblems } from '../config/yaml-file';
import type { SealingScope } from './sealing';

export interface SealedValue {
  readonly sealed: string;
  /** ISO date (YYYY-MM-DD) the value was last sealed with a new secret. */
  readonly rotated: string;
}

export interface SealedSecretEntry {
  readonly scope?: SealingScope;
  readonly type?: string;
  readonly data: Readonly<Record<string, SealedValue>>;
}

/** namespace -> secret name -> entry */
export type SealedValues = Readonly<Record<string, Readonly<Record<string, SealedSecretEntry>>>>;

const NAME = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/** The file's JSON Schema (precompiled with the environment schema, see lib/config/validators.ts). */
export const SEALED_VALUES_SCHEMA = {
  $id: 'https://gravl.app/schemas/sealed-values.schema.json',
  type: 'object',
  propertyNames: { pattern: NAME },
  additionalProperties: {
    type: 'object',
    propertyNames: { pattern: NAME },
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      required: ['data'],
      properties: {
        scope: { enum: ['strict', 'namespace-wide', 'cluster-wide'] },
        type: { type: 'string', minLength: 1 },
        data: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^[-._a-zA-Z0-9]+$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['sealed', 'rotated'],
            properties: {
              sealed: { type: 'string', pattern: '^[A-Za-z0-9+/]+={0,2}$', minLength: 64 },
              rotated: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            },
          },
        },
      },
    },
  },
} as const;


/** Parses and validates a sealed values file; an absent file is an empty one. */
export function parseSealedValues(file: string, text: string | undefined): { values: SealedValues; problems: Problem[] } {
  if (text === undefined) return { values: {}, problems: [] };
  const read = readYamlFile(file, text);
  if (!read.ok) return { values: {}, problems: read.problems };
  const yaml = { ...read.yaml, data: read.yaml.data ?? {} };
  const problems = schemaProblems(yaml, validators().sealedValues, SEALED_VALUES_SCHEMA, ' (the file is written by npm run seal)');
  return problems.length > 0 ? { values: {}, problems } : { values: yaml.data as SealedValues, problems: [] };
}

/** Writes one sealed value into the file's text, keeping its comments and other entries. */
export function withSealedValue(
  text: string | undefined,
  entry: { namespace: string; name: string; key: string; sealed: string; rotated: string; scope: SealingScope; type?: string },
  header: string,
): string {
  const doc: Document = parseDocument(text ?? '', { uniqueKeys: true });
  if (!isMap(doc.contents)) {
    doc.contents = doc.createNode({}) as typeof doc.contents;
    doc.commentBefore = header;
  }
  const base = [entry.namespace, entry.name];
  const existingScope = doc.getIn([...base, 'scope']) as SealingScope | undefined;
  const existingKeys = doc.getIn([...base, 'data']);
  if (existingKeys && (existingScope ?? 'strict') !== entry.scope) {
    throw new Error(`${entry.namespace}/${entry.name} is sealed with scope ${existingScope ?? 'strict'}; every key of a secret shares one scope (reseal all keys to change it)`);
  }
  if (entry.scope !== 'strict') doc.setIn([...base, 'scope'], entry.scope);
  if (entry.type) doc.setIn([...base, 'type'], entry.type);
  doc.setIn([...base, 'data', entry.key], doc.createNode({ sealed: entry.sealed, rotated: entry.rotated }));
  return doc.toString({ lineWidth: 0 });
}
