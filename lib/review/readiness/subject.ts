/**
 * What the criteria read of one rendered environment: the objects kubectl applies, the manual
 * ones, whether the production bar applies, its name (for the commands they print) and the
 * runtime evidence, where given.
 */
import type { Evidence } from './evidence';
import { type KubeObject } from '../../contract';

export interface Subject {
  /** The objects kubectl applies. */
  readonly objects: readonly KubeObject[];
  /** The manual ones (load test, restores). */
  readonly manual: readonly KubeObject[];
  readonly production: boolean;
  /** The environment's name: `npm run seal -- --env <name>`, evidence/<name>/. */
  readonly name: string;
  readonly evidence?: Evidence;
}
