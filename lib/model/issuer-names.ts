/** The ClusterIssuers every cluster gets, by the names the seeds and other tools rely on. */
export const ISSUER_NAMES = ['letsencrypt-prod', 'letsencrypt-staging', 'selfsigned-issuer', 'internal-ca-issuer'] as const;

export type IssuerName = (typeof ISSUER_NAMES)[number];
