import { describe, expect, it } from 'vitest';
import { chooseAccel } from '../../../harness/machine/accel.ts';

const ok = { kvmUsable: true, kvmProblem: undefined, remembered: undefined };

describe('chooseAccel', () => {
  it('tries KVM first when /dev/kvm works, as a probe that may fall back', () => {
    expect(chooseAccel('auto', ok)).toEqual({ accel: 'kvm', reason: 'KVM', probe: true });
  });

  it('takes TCG when this host was seen to hang KVM guests, and says where that is remembered', () => {
    const c = chooseAccel('auto', {
      ...ok,
      remembered: { broken: true, detail: 'no banner in 10 s', file: '/c/hosts/h.json' },
    });
    expect(c.accel).toBe('tcg');
    expect(c.reason).toMatch(/no banner in 10 s.*\/c\/hosts\/h\.json.*--accel kvm/);
  });

  it('takes TCG without /dev/kvm and says why', () => {
    expect(
      chooseAccel('auto', { kvmUsable: false, kvmProblem: '/dev/kvm does not exist', remembered: undefined }),
    ).toEqual({
      accel: 'tcg',
      reason: 'TCG: KVM is not available (/dev/kvm does not exist)',
      probe: false,
    });
  });

  it('obeys --accel either way, without probing', () => {
    const broken = { ...ok, remembered: { broken: true, detail: 'x', file: 'f' } };
    expect(chooseAccel('kvm', broken)).toMatchObject({ accel: 'kvm', probe: false });
    expect(chooseAccel('tcg', ok)).toMatchObject({ accel: 'tcg', probe: false });
  });
});
