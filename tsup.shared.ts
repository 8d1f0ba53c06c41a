/**
 * The one tsup build of every package: ESM and CJS for Node 20, with types for src/index.ts.
 * Each package's tsup.config.ts re-exports it, or calls packageBuild for command-line entries.
 * The materialised tree copies this file with the workspace's root files (BASE_PATHS).
 */
import { defineConfig, type Options } from 'tsup';

export interface PackageBuild {
  /** Command-line entry points besides src/index.ts, built without types. */
  bins?: string[];
  /** Keep function names (default): the kernel names functions in reports from the JS call stack. */
  keepNames?: boolean;
}

export function packageBuild({ bins = [], keepNames = true }: PackageBuild = {}): Options {
  return {
    entry: ['src/index.ts', ...bins],
    format: ['esm', 'cjs'],
    // verify and bisect only run the packages: LOCKSTEP_NO_DTS=1 skips the declaration files,
    // most of a build's time (turbo hashes the variable, so such builds are never released).
    dts: process.env.LOCKSTEP_NO_DTS === '1' ? false : { entry: 'src/index.ts' },
    sourcemap: true,
    clean: true,
    target: 'node20',
    keepNames,
  };
}

export default defineConfig(packageBuild());
