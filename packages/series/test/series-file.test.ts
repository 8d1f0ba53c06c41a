import { describe, expect, it } from 'vitest';
import { SeriesFailure } from '../src/lib/errors.js';
import { parseSeries, renderSeries } from '../src/series/series-file.js';

function failure(text: string): SeriesFailure {
  try {
    parseSeries(text, 'patches/series');
  } catch (e) {
    if (e instanceof SeriesFailure) return e;
    throw e;
  }
  throw new Error('parseSeries accepted the text');
}

describe('parseSeries', () => {
  it('reads entries with their line numbers and skips comments and blank lines', () => {
    const s = parseSeries(
      '# header\n\na/0001-x.patch\n  # indented comment\na/0002-y.patch -p1 # note\n',
    );
    expect(s.entries).toEqual([
      { name: 'a/0001-x.patch', line: 3 },
      { name: 'a/0002-y.patch', line: 5 },
    ]);
  });

  it('reports a duplicate with both line numbers', () => {
    const e = failure('a/0001-x.patch\n# c\na/0001-x.patch\n');
    expect(e.message).toBe(
      "patches/series:3: duplicate entry 'a/0001-x.patch' (first listed on line 1)",
    );
  });

  it.each([
    ['a/x.patch -p0', "malformed entry 'a/x.patch -p0'"],
    ['a/x.patch extra words', 'malformed entry'],
    ['../x.patch', "the path contains '..'"],
    ['/abs/x.patch', 'the path is absolute'],
    ['a//x.patch', "empty or '.' component"],
    ['.git/x.patch', "inside '.git'"],
    ['a/notes.txt', 'end in .patch'],
  ])('reports %j as malformed with its line number', (line, why) => {
    const e = failure(`# first\n\n${line}\n`);
    expect(e.message).toMatch(/^patches\/series:3: /);
    expect(e.message).toContain(why);
  });

  it('reports every problem: the first as the message, the others as details', () => {
    const e = failure('x.txt\na/1.patch\na/1.patch\n');
    expect(e.message).toMatch(/^patches\/series:1: /);
    expect(e.details).toEqual([
      "patches/series:3: duplicate entry 'a/1.patch' (first listed on line 2)",
    ]);
  });
});

describe('renderSeries', () => {
  const old = parseSeries('# head\na/1.patch -p1 # keep\n# mid\na/2.patch\n# tail\n');

  it('keeps every line when the entries are the same', () => {
    expect(renderSeries(old, ['a/1.patch', 'a/2.patch']).text).toBe(
      '# head\na/1.patch -p1 # keep\n# mid\na/2.patch\n# tail\n',
    );
  });

  it('replaces entries in place when their number is unchanged', () => {
    expect(renderSeries(old, ['a/1.patch', 'a/2b.patch']).text).toBe(
      '# head\na/1.patch -p1 # keep\n# mid\na/2b.patch\n# tail\n',
    );
  });

  it('keeps the header and tail when the number changes, and counts dropped comments', () => {
    expect(renderSeries(old, ['a/1.patch', 'a/2.patch', 'a/3.patch'])).toEqual({
      text: '# head\na/1.patch\na/2.patch\na/3.patch\n# tail\n',
      dropped: 1,
    });
    const empty = parseSeries('# only a header\n');
    expect(renderSeries(empty, ['a/1.patch']).text).toBe('# only a header\na/1.patch\n');
  });
});
