/**
 * String formats of the environment files: Kubernetes quantities, container image references,
 * durations. Each format has a checker (registered with ajv under its name) and a sentence that
 * tells the user what was expected when a value does not match.
 */
import { parseCidr } from './cidr';

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

// The whole grammar of a Kubernetes quantity: sign, decimals, and a binary or decimal suffix or an exponent.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/**
 * Parses a Kubernetes quantity ("500m", "1.5", "128Mi", "2Gi", "1e3", or a number as YAML gives
 * it) into a number of base units (cores or bytes). Returns undefined when it is not a quantity.
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  if (match[2] !== undefined) return Number(match[1]) * 10 ** Number(match[2]);
  const suffix = match[3] ?? '';
  return Number(match[1]) * (BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix]!);
}

/** CPU: whole or fractional cores, or millicores ("250m", "0.5", "2"). */
function isCpu(value: string): boolean {
  return /^(\d+m|\d+(\.\d+)?)$/.test(value) && parseQuantity(value)! > 0;
}

/** Memory or storage: bytes with an optional binary or decimal suffix ("512Mi", "2Gi"). */
function isBytes(value: string): boolean {
  return /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(value) && parseQuantity(value)! > 0;
}

// registry[:port]/path:tag[@sha256:digest] or path@sha256:digest. A tag is required unless a
// digest pins the image; `latest` never pins anything.
const IMAGE = /^(?<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** The parts of an image reference, or undefined when it is not one. */
export function parseImage(value: string): { name: string; tag?: string; digest?: string } | undefined {
  const match = IMAGE.exec(value);
  if (!match?.groups) return undefined;
  const { name, tag, digest } = match.groups;
  return { name: name!, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** A reference that names one version: a tag other than `latest`, or a digest. */
export function isPinnedImage(value: string): boolean {
  const image = parseImage(value);
  if (!image) return false;
  if (image.tag === 'latest') return false;
  return image.tag !== undefined || image.digest !== undefined;
}

export const HOUR_MS = 3_600_000;
const UNIT_MS: Record<string, number> = {
  y: 365 * 24 * HOUR_MS, w: 7 * 24 * HOUR_MS, d: 24 * HOUR_MS, h: HOUR_MS, m: 60_000, s: 1000, ms: 1,
};

/**
 * Milliseconds of a duration as Prometheus, Alertmanager and Loki read one (`model.Duration`:
 * units y, w, d, h, m, s, ms, each at most once and in that order, as in `1d12h`; or `0`), or
 * undefined when they would refuse it.
 */
export function parseDuration(value: string): number | undefined {
  if (value === '0') return 0;
  const match = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
  if (!match || value === '') return undefined;
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  return units.reduce((total, unit, i) => total + Number(match[i + 1] ?? 0) * UNIT_MS[unit]!, 0);
}

/** A positive duration: "30s", "15d", "1h30m" (largest unit first). */
function isDuration(value: string): boolean {
  return (parseDuration(value) ?? 0) > 0;
}

/** RFC 1123 DNS label, as Kubernetes names of namespaces and most objects. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** A fully qualified host name ("staging.gravl.app"). */
function isHostname(value: string): boolean {
  return value.length <= 253 && value.split('.').length >= 2 && value.split('.').every(isDnsLabel);
}

/** An IPv4 CIDR block ("10.0.0.0/8"). */
function isCidr(value: string): boolean {
  return parseCidr(value)?.family === 4;
}

/** host:port of a mail server ("smtp.gravl.app:587"). */
function isHostPort(value: string): boolean {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(value);
  return match !== null && isHostname(match[1]!) && Number(match[2]) > 0 && Number(match[2]) < 65536;
}

interface Format {
  readonly check: (value: string) => boolean;
  /** What the user should have written, completing "expected ...". */
  readonly expected: string;
}

/** Every custom format, by the name the schema uses. */
export const FORMATS: Record<string, Format> = {
  'k8s-cpu': { check: isCpu, expected: 'a CPU quantity such as 250m or 1' },
  'k8s-bytes': { check: isBytes, expected: 'a memory or storage quantity such as 512Mi or 2Gi' },
  'pinned-image': {
    check: isPinnedImage,
    expected: 'an image pinned to a version tag (not latest) and/or a sha256 digest, such as registry.gravl.app/gravl/backend:1.4.2',
  },
  'duration': { check: isDuration, expected: 'a duration such as 30s, 15d or 1h30m (units y, w, d, h, m, s, ms, largest first)' },
  'dns-label': { check: isDnsLabel, expected: 'a lowercase DNS label (a-z, 0-9 and -, at most 63 characters)' },
  'hostname': { check: isHostname, expected: 'a fully qualified host name such as staging.gravl.app' },
  'cidr': { check: isCidr, expected: 'an IPv4 CIDR block such as 10.0.0.0/8' },
  'host-port': { check: isHostPort, expected: 'host:port, such as smtp.gravl.app:587' },
  'email': { check: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), expected: 'an e-mail address' },
};

/** The formats as ajv takes them, by name: registered when compiling, and called by the precompiled validators. */
export const FORMAT_CHECKS: Record<string, { readonly type: 'string'; readonly validate: (value: string) => boolean }> = Object.fromEntries(
  Object.entries(FORMATS).map(([name, f]) => [name, { type: 'string', validate: f.check }]),
);
