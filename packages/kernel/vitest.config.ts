import { defineProject } from 'vitest/config';
import { NO_WALL_CLOCK_LIMITS } from '../../vitest.shared.js';

export default defineProject({
  test: { name: 'kernel', include: ['test/**/*.test.ts'], ...NO_WALL_CLOCK_LIMITS },
});
