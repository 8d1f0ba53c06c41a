import { defineProject } from 'vitest/config';
import { NO_WALL_CLOCK_LIMITS, workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: { name: 'klm', include: ['test/**/*.test.ts'], ...NO_WALL_CLOCK_LIMITS },
});
