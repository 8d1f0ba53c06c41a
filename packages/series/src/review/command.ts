/** The `review` and `show` commands of the lockstep CLI (registered by program.ts). */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SeriesUsageError } from '../lib/errors.js';
import { parsePort, untilStopped } from '../lib/serve.js';
import { parseStep } from '../series/steps.js';
import type { Workspace } from '../series/workspace.js';
import { formatShow } from '../show/show.js';
import { defaultReportFile, loadReview } from './model.js';
import { buildSeriesSites, serveSite } from './site.js';

export interface ReviewCommandContext {
  cwd: string;
  stdout: (text: string) => void;
  progress: (line: string) => void;
  root: () => Promise<string>;
  workspaces: (series: string | undefined, scope: 'one' | 'all') => Promise<Workspace[]>;
  /** Whether stdout is a terminal that takes colour (auto mode of --color). */
  colorTerminal: boolean;
}

/** Default port of `lockstep review` (--port 0 picks a free one). */
export const REVIEW_PORT = 4178;

export function addReviewCommands(program: Command, ctx: ReviewCommandContext): void {
  program
    .command('review')
    .summary('build the review site from the verify report and serve it on 127.0.0.1')
    .description(
      "Build a static site from the verify report (.lockstep/verify.json) and every series (or the --series one): a front page indexing the series, with a page compare-<a>--<b>.html for each two series over the same base that puts their steps side by side (the reproducers each step fixes or introduces); then for each series, in its own folder, an index of the steps with their subjects, package versions and a strip of reproducer outcomes, and a page per patch with its refuted claims at the top (the claim, how the run still crashes, the message's explanation and the interleaving), its message and trailers, diffstat and highlighted diff, every reproducer's outcome before and after (crash, clean exhausted, or clean searched) with the kernel's report, a picture of each crash's interleaving, and its Perfetto trace to download. Pages link to each other (patch-N.html) and take the keyboard: right/left or j/k for the next and previous patch, u for the index. The site loads nothing from the network. Without --out it is written to .lockstep/review and served until interrupted.",
    )
    .option('--report <file>', 'the verify report (default: .lockstep/verify.json)')
    .option(
      '--out <dir>',
      'only write the site to DIR (a new or empty directory, or an earlier site)',
    )
    .option('--port <n>', `port to serve on (default ${REVIEW_PORT}; 0 picks a free one)`)
    .action(async (opts: { report?: string; out?: string; port?: string; series?: string }) => {
      const port = opts.port === undefined ? REVIEW_PORT : parsePort(opts.port);
      const wss = await ctx.workspaces(opts.series, 'all');
      const root = wss[0]!.root;
      const file = resolve(ctx.cwd, opts.report ?? defaultReportFile(root));
      const models = [];
      for (const ws of wss) {
        const model = await loadReview(ws, file);
        for (const w of model.warnings) ctx.progress(`warning: ${ws.name}: ${w}`);
        models.push(model);
      }
      const dir = opts.out ? resolve(ctx.cwd, opts.out) : join(root, '.lockstep', 'review');
      const site = buildSeriesSites(models, dir);
      for (const f of site.missing) ctx.progress(`warning: trace file ${f} is missing`);
      ctx.progress(
        `site written to ${site.dir} in ${site.ms} ms: ${site.pages.length} pages (${Math.round(site.pageBytes / 1024)} KiB), ${site.pictures} interleavings, ${site.traces} trace files`,
      );
      if (opts.out !== undefined) {
        ctx.stdout(`${join(site.dir, 'index.html')}\n`);
        return;
      }
      const served = await serveSite(site.dir, port);
      ctx.stdout(`serving ${served.url} (Ctrl-C to stop)\n`);
      await untilStopped();
      await served.close();
    });

  program
    .command('show')
    .summary("show a step like git show, then its reproducers' reports")
    .description(
      "Print a step in the terminal: the patch's header and message, the claims to fix a reproducer that it makes or records as refuted (with how the run still crashes), diffstat and diff, every reproducer's outcome before and after it from the verify report (crash, clean exhausted: a proof within a stated space, or clean searched: evidence, not proof), then the report of each crash the patch changes or names, with the end of its interleaving and its Perfetto trace. Step 0 shows the base's outcomes.",
    )
    .argument('<step>', 'N or step-N (0 is the base)')
    .option('--report <file>', 'the verify report (default: .lockstep/verify.json)')
    .option('--no-diff', 'leave out the diff')
    .option('--events <n>', 'events of each interleaving to print (default 24; 0 for none)')
    .option('--color <when>', 'colour: auto (a terminal), always or never', 'auto')
    .action(
      async (
        stepArg: string,
        opts: {
          report?: string;
          diff: boolean;
          events?: string;
          color: string;
          series?: string;
        },
      ) => {
        if (!['auto', 'always', 'never'].includes(opts.color))
          throw new SeriesUsageError(`--color must be auto, always or never, got '${opts.color}'`);
        let events: number | undefined;
        if (opts.events !== undefined) {
          if (!/^\d+$/.test(opts.events))
            throw new SeriesUsageError(`--events must be a number, got '${opts.events}'`);
          events = Number(opts.events);
        }
        const ws = (await ctx.workspaces(opts.series, 'one'))[0]!;
        const file = resolve(ctx.cwd, opts.report ?? defaultReportFile(ws.root));
        const model = await loadReview(ws, file);
        const step = parseStep(
          stepArg,
          model.steps.slice(1).map((s) => s.patch!.info),
        );
        const color =
          opts.color === 'always' ||
          (opts.color === 'auto' && ctx.colorTerminal && process.env.NO_COLOR === undefined);
        ctx.stdout(formatShow(model, step, { color, diff: opts.diff, events }));
      },
    );
}
