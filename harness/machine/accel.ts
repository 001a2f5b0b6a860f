/**
 * KVM or TCG. KVM is the first choice when /dev/kvm is usable, unless this host was seen
 * to hang KVM guests before the kernel banner (remembered in host-memory.ts); then TCG.
 * `--accel kvm|tcg` forces the choice. Pure.
 */
import type { Accel } from './qemu-args.ts';

export type AccelRequest = 'auto' | Accel;

export interface AccelFacts {
  /** /dev/kvm exists and is readable and writable. */
  kvmUsable: boolean;
  /** Why /dev/kvm is not usable, for the message. */
  kvmProblem: string | undefined;
  /** What this host remembers about KVM, if anything. */
  remembered: { broken: boolean; detail: string; file: string } | undefined;
}

export interface AccelChoice {
  accel: Accel;
  /** One line for the user: which and why. */
  reason: string;
  /**
   * True when KVM was chosen automatically: a missing banner within the KVM banner
   * timeout then means "KVM does not work here", and the run falls back to TCG.
   */
  probe: boolean;
}

export function chooseAccel(request: AccelRequest, facts: AccelFacts): AccelChoice {
  if (request === 'tcg') return { accel: 'tcg', reason: 'TCG (forced with --accel tcg)', probe: false };
  if (request === 'kvm') return { accel: 'kvm', reason: 'KVM (forced with --accel kvm)', probe: false };
  if (!facts.kvmUsable) {
    return {
      accel: 'tcg',
      reason: `TCG: KVM is not available (${facts.kvmProblem ?? '/dev/kvm missing'})`,
      probe: false,
    };
  }
  if (facts.remembered?.broken) {
    return {
      accel: 'tcg',
      reason: `TCG: KVM did not boot kernels on this host before (${facts.remembered.detail}; remembered in ${facts.remembered.file}; --accel kvm forces KVM)`,
      probe: false,
    };
  }
  return { accel: 'kvm', reason: 'KVM', probe: true };
}
