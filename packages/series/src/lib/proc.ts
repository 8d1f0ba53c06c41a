import { spawn } from 'node:child_process';

/** How a child process ended, with what it printed and how long it took. */
export interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface ProcOptions {
  cwd: string;
  /** Variables to set; `undefined` removes one the child would inherit. */
  env?: Record<string, string | undefined>;
  /** Called with each line the child writes to stderr (progress). */
  onStderrLine?: (line: string) => void;
}

/** Run a command without a shell and collect its output. Never throws for a non-zero exit. */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: ProcOptions,
): Promise<ProcResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: Object.fromEntries(
        Object.entries({
          ...process.env,
          TURBO_TELEMETRY_DISABLED: '1',
          FORCE_COLOR: '0',
          ...opts.env,
        }).filter(([, v]) => v !== undefined),
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let partial = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      if (opts.onStderrLine) {
        const lines = (partial + b.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) opts.onStderrLine(l);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

/** The last `n` non-empty lines of some output, for error details. */
export function tail(text: string, n = 15): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n);
}
