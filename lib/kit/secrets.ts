/**
 * Every Secret a workload reads reaches the cluster through this construct, as a SealedSecret made
 * from the environment's sealed values or, where the environment says so, as an ExternalSecret.
 * Constructs declare what they read (`require`), and for each key whether the system generates it
 * or only its owner can provide it; `finalize` renders one object per secret. A generated value that
 * is missing fails synth, naming the command that seals it; a provided one that nobody has given yet
 * is rendered as missing (never as a made-up value) for readiness to name. Each SealedSecret records
 * the certificate it is meant for, and each key its class, origin and the certificate it was sealed
 * for. No `Secret` with data is ever rendered.
 */
import * as crypto from 'node:crypto';
import { Construct } from 'constructs';
import { SealedSecret } from '../../imports/bitnami.com';
import { ExternalSecret, ExternalSecretSpecSecretStoreRefKind, ExternalSecretSpecTargetCreationPolicy } from '../../imports/external-secrets.io';
import { ProblemsError, type Problem } from '../model/problems';
import { PART_OF } from './labels';
import type { SealingCertificate } from '../model/certificate';
import { classLabel, type KeyClass } from '../model/credentials';
import type { SealedValues } from '../model/sealed-values';
import {
  CERTIFICATE_ANNOTATION,
  CERTIFICATE_PROVENANCE_ANNOTATION,
  CREDENTIAL_ANNOTATION_PREFIX,
  ORIGIN_ANNOTATION_PREFIX,
  ROTATED_ANNOTATION_PREFIX,
  SEALED_ENVIRONMENT_ANNOTATION,
  SEALED_FOR_ANNOTATION_PREFIX,
} from '../contract';

/** A Secret some object reads, and which keys it needs. */
export interface SecretRequirement {
  readonly namespace: string;
  readonly name: string;
  /** Each key read, with how its value comes to exist (GENERATED, or provided(form)). */
  readonly keys: Readonly<Record<string, KeyClass>>;
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
  /** The seal command to suggest, up to `--env`. @default 'npm run seal --' */
  readonly sealCommand?: string;
  readonly values: SealedValues;
  /** The certificate the values should be sealed for; undefined when the environment has none. */
  readonly certificate?: SealingCertificate;
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
  /** Collect the declarations only: render nothing and report no missing value (for npm run seal). @default false */
  readonly declarationsOnly?: boolean;
}

/** One declared key of a Secret, as `npm run seal` looks it up. */
export interface DeclaredKey {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly keyClass: KeyClass;
  readonly consumers: readonly string[];
}

interface Needed {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly keys: Map<string, KeyClass>;
  readonly consumers: Set<string>;
}

export class Secrets extends Construct {
  private readonly source: SealedSource | ExternalSource;
  private readonly needed = new Map<string, Needed>();
  private readonly declarationsOnly: boolean;
  private finalized = false;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    this.source = props.source;
    this.declarationsOnly = props.declarationsOnly ?? false;
    this.node.addValidation({ validate: () => (this.finalized ? [] : ['Secrets.finalize() was never called: no secret was rendered']) });
  }

  /** Declares that `consumer` reads these keys of a Secret; returns the Secret's name for wiring. */
  require(requirement: SecretRequirement): string {
    if (this.finalized) throw new Error('Secrets are already rendered: declare requirements before finalize()');
    const id = `${requirement.namespace}/${requirement.name}`;
    const type = requirement.type ?? 'Opaque';
    let needed = this.needed.get(id);
    if (!needed) {
      needed = { namespace: requirement.namespace, name: requirement.name, type, keys: new Map(), consumers: new Set() };
      this.needed.set(id, needed);
    } else if (needed.type !== type) {
      throw new Error(`${id} is required as ${needed.type} and as ${type}`);
    }
    for (const [key, keyClass] of Object.entries(requirement.keys)) {
      const known = needed.keys.get(key);
      if (known && classLabel(known) !== classLabel(keyClass)) throw new Error(`${id} key ${key} is declared ${classLabel(known)} and ${classLabel(keyClass)}`);
      needed.keys.set(key, keyClass);
    }
    needed.consumers.add(requirement.consumer);
    return requirement.name;
  }

  /** Every declared key, in name order. */
  declarations(): DeclaredKey[] {
    return [...this.needed.values()]
      .flatMap((n) => [...n.keys].map(([key, keyClass]) => ({ namespace: n.namespace, name: n.name, key, keyClass, consumers: [...n.consumers] })))
      .sort((a, b) => `${a.namespace}/${a.name}/${a.key}`.localeCompare(`${b.namespace}/${b.name}/${b.key}`));
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
    if (this.declarationsOnly) return;
    const problems: Problem[] = [];
    for (const needed of [...this.needed.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
      if (this.source.kind === 'sealed') problems.push(...this.sealed(needed, this.source));
      else this.external(needed, this.source);
    }
    if (problems.length > 0) throw new ProblemsError(problems);
  }

  private sealed(needed: Needed, source: SealedSource): Problem[] {
    const entry = source.values[needed.namespace]?.[needed.name];
    const keys = [...needed.keys.keys()].sort();
    // A generated value the system can make now; a provided one waits for its owner, rendered as missing.
    const missingGenerated = keys.filter((key) => !entry?.data[key] && needed.keys.get(key)!.origin === 'generated');
    if (missingGenerated.length > 0) {
      return missingGenerated.map((key) => ({
        file: source.file,
        path: `${needed.namespace}.${needed.name}.data.${key}`,
        message:
          `found no sealed value, expected the one read by ${listing([...needed.consumers])}: ` +
          `${source.sealCommand ?? 'npm run seal --'} --env ${source.environment} --namespace ${needed.namespace} --name ${needed.name} --key ${key} --generate`,
      }));
    }
    const scope = entry?.scope ?? 'strict';
    const present = keys.filter((key) => entry?.data[key]);
    const labels = { 'app.kubernetes.io/part-of': PART_OF };
    const certificate = source.certificate;
    new SealedSecret(this, `${needed.namespace}-${needed.name}`, {
      metadata: {
        name: needed.name,
        namespace: needed.namespace,
        annotations: {
          ...(scope === 'namespace-wide' ? { 'sealedsecrets.bitnami.com/namespace-wide': 'true' } : {}),
          ...(scope === 'cluster-wide' ? { 'sealedsecrets.bitnami.com/cluster-wide': 'true' } : {}),
          [SEALED_ENVIRONMENT_ANNOTATION]: source.environment,
          [CERTIFICATE_ANNOTATION]: certificate?.fingerprint ?? 'none',
          [CERTIFICATE_PROVENANCE_ANNOTATION]: certificate?.provenance ?? 'none',
          ...Object.fromEntries(keys.map((key) => [`${CREDENTIAL_ANNOTATION_PREFIX}${key}`, classLabel(needed.keys.get(key)!)])),
          ...Object.fromEntries(keys.map((key) => [`${ORIGIN_ANNOTATION_PREFIX}${key}`, entry?.data[key] ? entry.data[key]!.origin ?? 'unknown' : 'missing'])),
          ...Object.fromEntries(present.map((key) => [`${SEALED_FOR_ANNOTATION_PREFIX}${key}`, entry!.data[key]!.certificate ?? 'unknown'])),
          ...Object.fromEntries(present.map((key) => [`${ROTATED_ANNOTATION_PREFIX}${key}`, entry!.data[key]!.rotated])),
        },
      },
      spec: {
        encryptedData: Object.fromEntries(present.map((key) => [key, entry!.data[key]!.sealed])),
        template: { metadata: { name: needed.name, namespace: needed.namespace, labels }, type: entry?.type ?? needed.type },
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
        data: [...needed.keys.keys()].sort().map((key) => ({
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
