import { defineConfig } from 'vitest/config';

// Two projects. `unit`: the pure core against golden data, plus tests that drive host
// tools (gcc, git, chromium for the HTML report) on small inputs; no kernel build,
// no QEMU boot; a couple of minutes in all. `integration` builds a real kernel and boots
// it in QEMU, so it runs files one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60 * 60 * 1000,
          hookTimeout: 60 * 60 * 1000,
        },
      },
    ],
  },
});
