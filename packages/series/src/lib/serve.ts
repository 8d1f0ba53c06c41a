/** What the commands that serve on 127.0.0.1 until interrupted share (review, registry). */
import { SeriesUsageError } from './errors.js';

/** A --port value: a number from 0 (any free port) to 65535. */
export function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n > 65535)
    throw new SeriesUsageError(`--port must be a number from 0 to 65535, got '${s}'`);
  return n;
}

/** Resolve until SIGINT or SIGTERM (the server runs until then). */
export function untilStopped(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
