import { defineConfig } from 'vitest/config';

// One vitest project per package: `npx vitest` at the root runs them all.
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
