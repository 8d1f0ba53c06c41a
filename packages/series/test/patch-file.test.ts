/** A patch's trailers as lockstep reads them: the reproducer links and a backport's upstream id. */
import { afterAll, describe, expect, it } from 'vitest';
import { readPatchInfo } from '../src/series/patch-file.js';
import { cleanup, tempDir } from './helpers.js';

afterAll(cleanup);

const PATCH = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jeff Layton <jlayton@redhat.com>
Date: Fri, 8 Feb 2008 13:03:37 -0500
Subject: [PATCH] NLM: Convert lockd to use kthreads

Backport: adapted to the 2.6.24 model.

Upstream: d751a7cd0695554498f25d3026ca6710dbb3698f (v2.6.26)
Fixes-reproducer: lockd-down-slow-exit-second-lockd
Introduces-reproducer: lockd-down-before-lockd-ran
Signed-off-by: Jeff Layton <jlayton@redhat.com>
---
 a | 1 +
 1 file changed, 1 insertion(+)
`;

describe('readPatchInfo', () => {
  it('reads the Upstream trailer beside the reproducer links', async () => {
    const info = await readPatchInfo('s/0001.patch', PATCH, tempDir(), 'p1');
    expect(info.subject).toBe('NLM: Convert lockd to use kthreads');
    expect(info.upstream).toEqual(['d751a7cd0695554498f25d3026ca6710dbb3698f (v2.6.26)']);
    expect(info.fixesReproducers).toEqual(['lockd-down-slow-exit-second-lockd']);
    expect(info.introducesReproducers).toEqual(['lockd-down-before-lockd-ran']);
    const none = await readPatchInfo(
      's/0002.patch',
      PATCH.replace(/^Upstream:.*\n/m, ''),
      tempDir(),
      'p2',
    );
    expect(none.upstream).toEqual([]);
  });
});
