/**
 * Every Secret a workload reads reaches the cluster through this construct, as a SealedSecret made
 * from the environment's sealed values or, where the environment says so, as an ExternalSecret.
 * Constructs declare what they read (`require`); `finalize` renders one object per secret and fails
 * synth, naming the missing values and the command that seals them, when a value is missing. No
 * `Secret` with data is ever rendered.
 */
import * as crypto from 'node:crypto';
import { Construct } from 'constructs';
import { SealedSecret } from '../../imports/bitnami.com';
import { ExternalSecret, ExternalSecretSpecSecretStoreRefKind, ExternalSecretSpecTargetCreationPolicy } from '../../imports/external-secrets.io';
import { ProblemsError, type Problem } from '../config/problems';
import { PART_OF } from '../labels';
import type { SealedValues } from './sealed-values';

/** A Secret some object reads, and which keys it needs. */
export interface SecretRequirement {
  readonly namespace: string;
  readonly name: string;
  readonly keys: readonly string[];
  /** Who reads it, for messages: "Deployment backend". */
  readonly consumer: string;
  /** @default Opaque */
  readonly type?: string;
}

/** Values sealed in the repository for this environment's sealed-secrets controller. */
export interface SealedSource {
  readonly kind: 'sealed';
  /** Environment name, for the seal command in messages. */
  readonly environment: string;
  /** The sealed values file, for messages. */
  readonly file: string;
  readonly values: SealedValues;
}

/** Values pulled by the External Secrets Operator from a store. */
export interface ExternalSource {
  readonly kind: 'external';
  readonly store: { readonly kind: 'SecretStore' | 'ClusterSecretStore'; readonly name: string };
  /** How often the operator refreshes, e.g. 1h. */
  readonly refreshInterval: string;
  /** Remote keys are `<keyPrefix>/<namespace>/<name>`, one property per Secret key. */
  readonly keyPrefix: string;
}

export interface SecretsProps {
  readonly source: SealedSource | ExternalSource;
}

/** Annotation prefix recording when each key was last rotated (read by readiness). */
export const ROTATED_ANNOTATION_PREFIX = 'rotated.gravl.app/';

interface Needed {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly keys: Set<string>;
  readonly consumers: Set<string>;
}

export class Secrets extends Construct {
  private readonly source: SealedSource | ExternalSource;
  private readonly needed = new Map<string, Needed>();
  private finalized = false;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    this.source = props.source;
    this.node.addValidation({ validate: () => (this.finalized ? [] : ['Secrets.finalize() was never called: no secret was rendered']) });
  }

  /** Declares that `consumer` reads these keys of a Secret; returns the Secret's name for wiring. */
  require(requirement: SecretRequirement): string {
    if (this.finalized) throw new Error('Secrets are already rendered: declare requirements before finalize()');
    const id = `${requirement.namespace}/${requirement.name}`;
    const type = requirement.type ?? 'Opaque';
    let needed = this.needed.get(id);
    if (!needed) {
      needed = { namespace: requirement.namespace, name: requirement.name, type, keys: new Set(), consumers: new Set() };
      this.needed.set(id, needed);
    } else if (needed.type !== type) {
      throw new Error(`${id} is required as ${needed.type} and as ${type}`);
    }
    requirement.keys.forEach((k) => needed.keys.add(k));
    needed.consumers.add(requirement.consumer);
    return requirement.name;
  }

  /**
   * A short hash of the sealed ciphertext of these keys: it changes when any of them is re-sealed,
   * so a pod annotation carrying it rolls the pods that read them. Empty where the values come
   * from an external store (the operator refreshes them) or are not sealed yet.
   */
  fingerprint(namespace: string, name: string, keys: readonly string[]): string {
    if (this.source.kind !== 'sealed') return '';
    const entry = this.source.values[namespace]?.[name];
    const sealed = keys.map((key) => entry?.data[key]?.sealed ?? '');
    return sealed.every((s) => s === '') ? '' : crypto.createHash('sha256').update(sealed.join('\0')).digest('hex').slice(0, 16);
  }

  /** Renders one SealedSecret or ExternalSecret per required Secret; throws ProblemsError for missing values. */
  finalize(): void {
    this.finalized = true;
    const problems: Problem[] = [];
    for (const needed of [...this.needed.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
      if (this.source.kind === 'sealed') problems.push(...this.sealed(needed, this.source));
      else this.external(needed, this.source);
    }
    if (problems.length > 0) throw new ProblemsError(problems);
  }

  private sealed(needed: Needed, source: SealedSource): Problem[] {
    const entry = source.values[needed.namespace]?.[needed.name];
    const missing = [...needed.keys].filter((key) => !entry?.data[key]);
    if (missing.length > 0) {
      return missing.map((key) => ({
        file: source.file,
        path: `${needed.namespace}.${needed.name}.data.${key}`,
        message:
          `found no sealed value, expected the one read by ${listing([...needed.consumers])}: ` +
          `npm run seal -- --env ${source.environment} --namespace ${needed.namespace} --name ${needed.name} --key ${key} (value on standard input, or --generate)`,
      }));
    }
    const scope = entry!.scope ?? 'strict';
    const keys = [...needed.keys].sort();
    const labels = { 'app.kubernetes.io/part-of': PART_OF };
    new SealedSecret(this, `${needed.namespace}-${needed.name}`, {
      metadata: {
        name: needed.name,
        namespace: needed.namespace,
        annotations: {
          ...(scope === 'namespace-wide' ? { 'sealedsecrets.bitnami.com/namespace-wide': 'true' } : {}),
          ...(scope === 'cluster-wide' ? { 'sealedsecrets.bitnami.com/cluster-wide': 'true' } : {}),
          ...Object.fromEntries(keys.map((key) => [`${ROTATED_ANNOTATION_PREFIX}${key}`, entry!.data[key]!.rotated])),
        },
      },
      spec: {
        encryptedData: Object.fromEntries(keys.map((key) => [key, entry!.data[key]!.sealed])),
        template: { metadata: { name: needed.name, namespace: needed.namespace, labels }, type: entry!.type ?? needed.type },
      },
    });
    return [];
  }

  private external(needed: Needed, source: ExternalSource): void {
    new ExternalSecret(this, `${needed.namespace}-${needed.name}`, {
      metadata: { name: needed.name, namespace: needed.namespace },
      spec: {
        refreshInterval: source.refreshInterval,
        secretStoreRef: { kind: source.store.kind === 'ClusterSecretStore' ? ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE : ExternalSecretSpecSecretStoreRefKind.SECRET_STORE, name: source.store.name },
        target: { name: needed.name, creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER, template: { type: needed.type } },
        data: [...needed.keys].sort().map((key) => ({
          secretKey: key,
          remoteRef: { key: `${source.keyPrefix}/${needed.namespace}/${needed.name}`, property: key },
        })),
      },
    });
  }
}

/** "a", "a and b", "a, b and c". */
function listing(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
