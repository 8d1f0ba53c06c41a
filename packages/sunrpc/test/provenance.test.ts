/**
 * Every exported function of the sunrpc model files says which kernel function it models,
 * at which tree path of the base version: a comment right above it naming
 * `v2.6.24:net/sunrpc/<file>.c` (or a header under include/linux/sunrpc). net.ts and
 * rpcbind.ts stand in for the network and the user-space daemon and have no kernel file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../src');
const NOT_KERNEL = new Set(['index.ts', 'net.ts', 'rpcbind.ts', 'layouts.ts']);
const PATH = /v2\.6\.24:(net\/sunrpc\/[a-z_]+\.c|include\/linux\/sunrpc\/[a-z_]+\.h)/;

/** Each exported function with the comment block just above it. */
function exportedFunctions(text: string): Array<{ name: string; comment: string }> {
  const lines = text.split('\n');
  const out: Array<{ name: string; comment: string }> = [];
  lines.forEach((line, i) => {
    const m = /^export function\*? ?([A-Za-z_0-9]+)/.exec(line);
    if (!m) return;
    let j = i - 1;
    const block: string[] = [];
    while (j >= 0 && /^\s*(\/\*\*|\*|\/\/|\*\/)/.test(lines[j]!)) block.unshift(lines[j--]!);
    out.push({ name: m[1]!, comment: block.join('\n') });
  });
  return out;
}

describe('provenance of the sunrpc model', () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !NOT_KERNEL.has(f));

  it('finds the model files and their exported functions', () => {
    expect(files).toEqual(
      expect.arrayContaining(['clnt.ts', 'rpcb_clnt.ts', 'sched.ts', 'svc.ts', 'svcsock.ts']),
    );
    const n = files.reduce(
      (a, f) => a + exportedFunctions(readFileSync(join(SRC, f), 'utf8')).length,
      0,
    );
    expect(n).toBeGreaterThan(30);
  });

  for (const f of readdirSync(SRC).filter((x) => x.endsWith('.ts') && !NOT_KERNEL.has(x)))
    it(`${f}: every exported function names its kernel function and v2.6.24 tree path`, () => {
      const missing = exportedFunctions(readFileSync(join(SRC, f), 'utf8'))
        .filter(({ name, comment }) => !PATH.test(comment) || !comment.includes(name))
        .map(({ name }) => name);
      expect(missing).toEqual([]);
    });
});
