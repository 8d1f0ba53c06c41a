#!/usr/bin/env node
import { main } from './program.js';

Promise.resolve(
  main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }),
).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`lockstep-repro: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
