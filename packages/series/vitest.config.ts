import { randomUUID } from 'node:crypto';
import { defineProject } from 'vitest/config';
import { NO_WALL_CLOCK_LIMITS, workspaceAliases } from '../../vitest.shared.js';

// One id per test run: the tests that share a verify run (test/series-run.ts) never take a
// report from an earlier run. Workers inherit it from this process.
process.env.LOCKSTEP_TEST_RUN ??= randomUUID();

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: { name: 'series', include: ['test/**/*.test.ts'], ...NO_WALL_CLOCK_LIMITS },
});
