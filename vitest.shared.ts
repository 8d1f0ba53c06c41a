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
