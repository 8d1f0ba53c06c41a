import { main } from '../src/index.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run lockstep-repro in-process, with or without --jobs, capturing its output. */
export async function cliAsync(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The same, for runs in this process (no --jobs): synchronous. */
export function cli(...argv: string[]): CliRun {
  let out = '';
  let err = '';
  const code = main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  if (typeof code !== 'number') throw new Error('a run in this process returned a promise');
  return { code, out, err };
}
