import { defineConfig } from 'vitest/config';
import { NO_WALL_CLOCK_LIMITS } from './vitest.shared.js';

// One vitest project per package: `npx vitest` at the root runs them all.
export default defineConfig({
  test: {
    projects: ['packages/*'],
    // Each project sets these too (projects do not inherit the root's test options).
    ...NO_WALL_CLOCK_LIMITS,
  },
});
