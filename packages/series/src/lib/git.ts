import { execFile } from 'node:child_process';
import { devNull } from 'node:os';
import { dirname } from 'node:path';
import { SeriesFailure } from './errors.js';

/** What a git command printed and how it exited. */
export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface GitOptions {
  /** Working directory (the work tree when gitDir is given). */
  cwd: string;
  /**
   * The repository's .git directory. Given explicitly (with cwd as the work tree) so that a
   * command meant for a materialised tree can never fall through to an enclosing repository.
   */
  gitDir?: string;
  /** Written to the command's stdin. */
  input?: string | Buffer;
  /**
   * Run as if no repository existed (git apply and mailinfo on loose files): git may not look
   * for a repository above cwd.
   */
  outsideRepo?: boolean;
  /** Extra environment (dates, identities). */
  env?: Record<string, string>;
  /** Throw GitCommandError on a non-zero exit (default true). */
  check?: boolean;
}

/** A git command exited non-zero; carries its output so callers can explain what failed. */
export class GitCommandError extends SeriesFailure {
  readonly result: GitResult;
  readonly args: readonly string[];

  constructor(args: readonly string[], result: GitResult) {
    const lines = `${result.stderr}\n${result.stdout}`
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l !== '');
    super(`git ${args[0] ?? ''} failed (exit ${result.code})`, lines);
    this.result = result;
    this.args = args;
  }
}

/** Identity and dates used for commits lockstep makes itself, so builds are reproducible. */
export const LOCKSTEP_IDENT = {
  GIT_AUTHOR_NAME: 'lockstep',
  GIT_AUTHOR_EMAIL: 'lockstep@localhost',
  GIT_COMMITTER_NAME: 'lockstep',
  GIT_COMMITTER_EMAIL: 'lockstep@localhost',
} as const;

/**
 * The environment every git command runs in: no inherited GIT_* variables (a hook's GIT_DIR
 * must not redirect us), no system or global configuration (a user's diff.noprefix or
 * format.signature would change the patches written), and the C locale so error messages
 * have the wording we parse.
 */
function gitEnv(opts: GitOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GIT_') && k !== 'LANGUAGE' && !k.startsWith('LC_')) env[k] = v;
  }
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_CONFIG_GLOBAL = devNull;
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_PAGER = 'cat';
  env.LC_ALL = 'C';
  if (opts.outsideRepo) env.GIT_CEILING_DIRECTORIES = dirname(opts.cwd);
  if (opts.gitDir !== undefined) {
    env.GIT_DIR = opts.gitDir;
    env.GIT_WORK_TREE = opts.cwd;
  }
  Object.assign(env, opts.env);
  return env;
}

/** Run git with the given arguments (no shell). */
export function git(args: readonly string[], opts: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd: opts.cwd, env: gitEnv(opts), maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (e && typeof e.code === 'string') {
          reject(
            e.code === 'ENOENT'
              ? new SeriesFailure('git was not found on PATH; lockstep needs git 2.32 or later')
              : new SeriesFailure(`could not run git ${args[0] ?? ''}: ${e.message}`),
          );
          return;
        }
        const result: GitResult = { stdout, stderr, code: e ? Number(e.code ?? 1) : 0 };
        if (result.code !== 0 && opts.check !== false) reject(new GitCommandError(args, result));
        else resolve(result);
      },
    );
    // Ignore EPIPE when git exits before reading all of its input; the exit code tells.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** Fail clearly when git is too old for GIT_CONFIG_GLOBAL (2.32), which isolation relies on. */
export async function requireGit(cwd: string): Promise<void> {
  const { stdout } = await git(['--version'], { cwd });
  const m = /git version (\d+)\.(\d+)/.exec(stdout);
  if (!m || Number(m[1]) < 2 || (Number(m[1]) === 2 && Number(m[2]) < 32)) {
    throw new SeriesFailure(`lockstep needs git 2.32 or later; found '${stdout.trim()}'`);
  }
}
