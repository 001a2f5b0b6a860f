import { MARKER_PREFIX } from '../../harness/steps/markers.ts';

// Step markers as the guest's /init prints them, for console-log fixtures.

export function beginMarker(step: string, nonce: string): string {
  return `${MARKER_PREFIX} begin ${step} nonce=${nonce}`;
}

export function endMarker(step: string, status: number, nonce: string): string {
  return `${MARKER_PREFIX} end ${step} status=${status} nonce=${nonce}`;
}
