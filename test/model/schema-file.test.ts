import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { schemaJson, validatorsJs } from '../../lib/model/schema-file';
import { ENVIRONMENTS_DIR } from '../support/render';

it('keeps environments/environment.schema.json current for editors (npm run schema rewrites it)', () => {
  const committed = fs.readFileSync(path.join(ENVIRONMENTS_DIR, 'environment.schema.json'), 'utf8');
  expect(committed).toBe(schemaJson());
  expect(JSON.parse(committed).additionalProperties).toBe(false);
});

it('keeps the precompiled validators current (npm run schema rewrites them)', () => {
  const committed = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'model', 'validators.generated.js'), 'utf8');
  expect(committed).toBe(validatorsJs());
});

it('points every environment file at the schema for editors', () => {
  for (const name of fs.readdirSync(ENVIRONMENTS_DIR).filter((n) => n.endsWith('.yaml'))) {
    expect(fs.readFileSync(path.join(ENVIRONMENTS_DIR, name), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./environment.schema.json');
  }
});
