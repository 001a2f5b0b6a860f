import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBES_DIR } from '../../../harness/workloads/programs.ts';

// guests/probes/zdh-hmm.sh run by the host's POSIX sh with stub modprobe/modinfo/rmmod/usleep
// in PATH (busybox sh on the host prefers its own applets, so it cannot be stubbed) and
// /sys, /dev moved to a temporary folder (ZDH_HMM_SYS, ZDH_HMM_DEV).
const root = mkdtempSync(join(tmpdir(), 'zdh-hmm-sh-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// What `modinfo -p test_hmm` prints for the test_hmm of 6.1.192, 6.12.118 and mainline: the
// same two parameters (lib/test_hmm.c module_param(spm_addr_dev0/1, long, 0644)), here in
// kmod's format; busybox prints the same "name:description" values.
const SPM_PARAMS =
  'spm_addr_dev0:Specify start address for SPM (special purpose memory) used for device 0. By setting this Coherent device type will be used. Make sure spm_addr_dev1 is set too. Minimum SPM size should be DEVMEM_CHUNK_SIZE. (long)\n' +
  'spm_addr_dev1:Specify start address for SPM (special purpose memory) used for device 1. By setting this Coherent device type will be used. Make sure spm_addr_dev0 is set too. Minimum SPM size should be DEVMEM_CHUNK_SIZE. (long)\n';

let n = 0;
function run(
  args: string[],
  opts: { modinfo?: string | null; spm?: boolean; loadedParams?: string[] },
): { status: number | null; out: string; log: string[] } {
  const dir = join(root, String(n++));
  const bin = join(dir, 'bin');
  const sys = join(dir, 'sys');
  const dev = join(dir, 'dev');
  const log = join(dir, 'log');
  for (const d of [bin, sys, dev]) mkdirSync(d, { recursive: true });
  writeFileSync(log, '');
  if (opts.loadedParams) {
    const params = join(sys, 'module', 'test_hmm', 'parameters');
    mkdirSync(params, { recursive: true });
    for (const p of opts.loadedParams) writeFileSync(join(params, p), '0\n');
  }
  const stub = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // Like test_hmm: dmirror0/1 always, 2/3 only with both SPM addresses.
  stub(
    'modprobe',
    `echo "modprobe $*" >> "${log}"
for d in 0 1; do : > "$ZDH_HMM_DEV/hmm_dmirror$d"; done
case "$*" in *spm_addr_dev0=*spm_addr_dev1=*) for d in 2 3; do : > "$ZDH_HMM_DEV/hmm_dmirror$d"; done ;; esac`,
  );
  stub('rmmod', `echo "rmmod $*" >> "${log}"\nrm -rf "$ZDH_HMM_SYS/module/test_hmm"`);
  stub('usleep', 'exit 0');
  if (opts.modinfo !== null) {
    writeFileSync(join(dir, 'modinfo.out'), opts.modinfo ?? '');
    stub('modinfo', `echo "modinfo $*" >> "${log}"\ncat "${join(dir, 'modinfo.out')}"`);
  }
  const env: Record<string, string> = {
    PATH: `${bin}:/usr/bin:/bin`,
    ZDH_HMM_SYS: sys,
    ZDH_HMM_DEV: dev,
  };
  if (opts.spm !== false) {
    env.ZDH_SPM_DEV0 = '0x60000000';
    env.ZDH_SPM_DEV1 = '0x70000000';
  }
  const r = spawnSync('/bin/sh', [join(PROBES_DIR, 'zdh-hmm.sh'), ...args], { env, encoding: 'utf8' });
  return {
    status: r.status,
    out: `${r.stdout}${r.stderr}`,
    log: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean),
  };
}

describe('zdh-hmm load', () => {
  it('passes the SPM addresses to a test_hmm that has spm_addr_dev0/1 (6.1, 6.12, mainline)', () => {
    const r = run(['load', '--coherent'], { modinfo: SPM_PARAMS });
    expect(r.status).toBe(0);
    expect(r.log).toEqual([
      'modinfo -p test_hmm',
      'modinfo -p test_hmm',
      'modprobe test_hmm spm_addr_dev0=0x60000000 spm_addr_dev1=0x70000000',
    ]);
    expect(r.out).toMatch(/device-coherent dmirror2\/3 \(SPM 0x60000000, 0x70000000\)/);
  });

  it('reads busybox modinfo output, whose lines may carry a "parm:" label', () => {
    const labelled = SPM_PARAMS.replace(/^/gm, 'parm:           ').replace(/parm: {11}$/, '');
    const r = run(['load', '--coherent'], { modinfo: labelled });
    expect(r.status).toBe(0);
    expect(r.log.filter((l) => l.startsWith('modprobe'))).toEqual([
      'modprobe test_hmm spm_addr_dev0=0x60000000 spm_addr_dev1=0x70000000',
    ]);
  });

  it('does not pass parameters a test_hmm lacks; --coherent then fails naming why', () => {
    const coherent = run(['load', '--coherent'], { modinfo: '' });
    expect(coherent.status).toBe(1);
    expect(coherent.out).toMatch(/has no spm_addr_dev0\/spm_addr_dev1 parameters/);
    expect(coherent.log.filter((l) => l.startsWith('modprobe'))).toEqual([]);

    const plain = run(['load'], { modinfo: 'other_param:something (int)\n' });
    expect(plain.status).toBe(0);
    expect(plain.log.filter((l) => l.startsWith('modprobe'))).toEqual(['modprobe test_hmm']);
    expect(plain.out).toMatch(/device-private only/);
  });

  it('asks a loaded test_hmm (sysfs) before unloading it, then reloads it', () => {
    const r = run(['load', '--coherent'], { modinfo: '', loadedParams: ['spm_addr_dev0', 'spm_addr_dev1'] });
    expect(r.status).toBe(0);
    expect(r.log).toEqual([
      'rmmod test_hmm',
      'modprobe test_hmm spm_addr_dev0=0x60000000 spm_addr_dev1=0x70000000',
    ]);
  });

  it('without modinfo in the guest passes them (an unknown one would be ignored with a warning)', () => {
    const r = run(['load', '--coherent'], { modinfo: null });
    expect(r.status).toBe(0);
    expect(r.log).toEqual(['modprobe test_hmm spm_addr_dev0=0x60000000 spm_addr_dev1=0x70000000']);
  });

  it('--coherent without an SPM range fails before loading anything', () => {
    const r = run(['load', '--coherent'], { modinfo: SPM_PARAMS, spm: false });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/no SPM range/);
    expect(r.log).toEqual([]);
  });

  it('unload is a no-op when test_hmm is not loaded', () => {
    const r = run(['unload'], { modinfo: SPM_PARAMS });
    expect(r.status).toBe(0);
    expect(r.log).toEqual([]);
    expect(existsSync(join(root, String(n - 1), 'dev', 'hmm_dmirror0'))).toBe(false);
    const loaded = run(['unload'], { modinfo: SPM_PARAMS, loadedParams: [] });
    expect(loaded.status).toBe(0);
    expect(loaded.log).toEqual(['rmmod test_hmm']);
  });
});
