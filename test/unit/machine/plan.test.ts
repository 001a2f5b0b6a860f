import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderPlan, renderPlanVars, renderStepScript, shellQuote } from '../../../harness/machine/plan.ts';

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('modprobe')).toBe('modprobe');
    expect(shellQuote('0x40000000')).toBe('0x40000000');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b$c')).toBe("'a b$c'");
  });

  it('round-trips awkward strings through a real sh', () => {
    const samples = [
      "it's",
      'a b',
      '$HOME',
      '`id`',
      '"q"',
      'new\nline',
      '\\',
      '*',
      ';rm -rf /',
      'tab\t',
      '!x',
      "'",
      "''",
    ];
    const script = samples.map((s) => `printf '%s\\0' ${shellQuote(s)}`).join('\n');
    const out = execFileSync('/bin/sh', ['-c', script]).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(samples);
  });
});

describe('plan rendering', () => {
  it('renders the variables /init sources, with each step name and guest kill deadline', () => {
    expect(
      renderPlanVars({
        nonce: 'abc123',
        markerNonce: 'def456',
        mode: 'steps',
        steps: [
          { name: 'setup', argv: ['true'], timeoutS: 10 },
          { name: 'hmm-tests', argv: ['x'], timeoutS: 300, onTimeout: 'continue' },
        ],
        hugepages: 16,
        hungTaskTimeoutS: 5,
        modprobeOptions: [],
        env: { ZDH_SPM_DEV0: '0x40000000' },
        terminal: { rows: 40, cols: 120 },
      }),
    ).toBe(
      [
        'ZDH_NONCE=abc123',
        'ZDH_MARKER_NONCE=def456',
        'ZDH_MODE=steps',
        'ZDH_HUGEPAGES=16',
        'ZDH_HUNG_TASK_TIMEOUT=5',
        'ZDH_STEP_COUNT=2',
        'ZDH_TERM_ROWS=40',
        'ZDH_TERM_COLS=120',
        'ZDH_STEP_0_NAME=setup',
        'ZDH_STEP_0_DEADLINE=0',
        'ZDH_STEP_1_NAME=hmm-tests',
        'ZDH_STEP_1_DEADLINE=320',
        'export ZDH_SPM_DEV0=0x40000000',
        '',
      ].join('\n'),
    );
  });

  it('renders a step as exec of its argv, or its script, after env and cd; the nonce reaches the script alone', () => {
    // Run as /init runs it (busybox sh, the run's nonce in ZDH_NONCE).
    const runStep = (text: string) =>
      spawnSync('busybox', ['sh', '-c', text], { env: { PATH: process.env['PATH'], ZDH_NONCE: 'n0nce' } });
    const argv = runStep(
      renderStepScript({
        name: 'c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
        argv: ['sh', '-c', 'echo "$A|$(pwd)|${ZDH_NONCE-unset}|$0"; exit 7'],
        timeoutS: 1,
        env: { A: "x'y" },
        cwd: '/tmp',
      }),
    );
    expect([argv.status, argv.stdout.toString()]).toEqual([7, "x'y|/tmp|unset|sh\n"]);
    const script = runStep(
      renderStepScript({
        name: 's',
        script:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
          'echo "$(pwd) $zdh_nonce ${ZDH_NONCE-unset}"\nsh -c \'echo "${zdh_nonce-unset} ${ZDH_NONCE-unset}"\'',
        timeoutS: 1,
      }),
    );
    expect([script.status, script.stdout.toString()]).toEqual([0, '/ n0nce unset\nunset unset\n']);
  });

  it('puts plan, step scripts and modprobe options into the run archive', () => {
    const entries = renderPlan({
      nonce: 'n',
      markerNonce: 'm',
      mode: 'shell',
      steps: [{ name: 'a', argv: ['true'], timeoutS: 1 }],
      hugepages: 0,
      hungTaskTimeoutS: 5,
      modprobeOptions: ['options test_hmm spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000'],
      env: {},
    });
    expect(entries.map((e) => e.path)).toEqual(['zdh/plan.sh', 'zdh/steps/0.sh', 'etc/modprobe.d/zdh.conf']);
    const conf = entries[2]!;
    expect(conf.type === 'file' && Buffer.from(conf.data).toString()).toBe(
      'options test_hmm spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000\n',
    );
  });

  it('refuses an environment name the shell cannot export', () => {
    expect(() =>
      renderPlanVars({
        nonce: 'n',
        markerNonce: 'm',
        mode: 'steps',
        steps: [],
        hugepages: 0,
        hungTaskTimeoutS: 0,
        modprobeOptions: [],
        env: { 'A-B': '1' },
      }),
    ).toThrow(/A-B/);
  });
});
