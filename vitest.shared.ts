import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Tests import sibling packages from their sources, so a test run never depends on a stale
 * build. Every @lockstep package resolves to one module instance (the kernel's `current` and
 * `jiffies` are module state, so two copies of the kernel would be a bug).
 */
export function workspaceAliases(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of readdirSync(join(root, 'packages'))) {
    out[`@lockstep/${dir}`] = join(root, 'packages', dir, 'src', 'index.ts');
  }
  return out;
}

/**
 * No wall-clock limit per test or hook: a test must not fail because the machine is slow or
 * busy (vitest's default 5 s per test tripped under load). 0 turns the timer off: vitest 4's
 * runner (@vitest/runner withTimeout) runs a test or hook with timeout <= 0 without one, and
 * its config resolution keeps an explicit 0 (`testTimeout ??= 5e3`).
 */
export const NO_WALL_CLOCK_LIMITS = { testTimeout: 0, hookTimeout: 0 } as const;
