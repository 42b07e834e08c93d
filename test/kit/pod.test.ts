import { describe, expect, it } from 'vitest';
import { podSecurityContext } from '../../lib/kit/pod';

describe('podSecurityContext', () => {
  it('runs as the given user and group, non-root, with seccomp RuntimeDefault', () => {
    expect(podSecurityContext(65534, 65534)).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('refuses root unless the workload is a node agent, which then says runAsNonRoot: false', () => {
    expect(() => podSecurityContext(0)).toThrow(/only a node agent may run as root/);
    expect(podSecurityContext(0, undefined, true)).toEqual({ runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } });
  });
});
