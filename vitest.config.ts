import { defineConfig } from 'vitest/config';

// Four projects. `unit`: the pure core against golden data, plus tests that drive host
// tools (gcc, git, chromium for the HTML report) on small inputs; no kernel build,
// no QEMU boot; a couple of minutes in all. `integration` builds real kernels and boots
// them in QEMU, so it runs files one at a time; `npm test` runs these two. `flavours`
// builds the nightly matrix's sanitizer and distribution flavours (a cold build each) and
// proves each sees its fixture: `npm run test:flavours`, not part of `npm test` (its cold
// builds alone exceed CI's budget; docs/ci.md, "Flavours"). `ci-templates` runs the GitLab
// template with gitlab-ci-local (five npm ci, four boots): `npm run test:ci-templates`.

/** A project whose tests build real kernels and boot them: one file at a time, long limits. */
const realKernels = (name: string, include: string) => ({
  test: {
    name,
    include: [include],
    fileParallelism: false,
    testTimeout: 60 * 60 * 1000,
    hookTimeout: 60 * 60 * 1000,
  },
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      realKernels('integration', 'test/integration/**/*.test.ts'),
      realKernels('flavours', 'test/flavours/**/*.test.ts'),
      realKernels('ci-templates', 'test/ci-templates/**/*.test.ts'),
    ],
  },
});
