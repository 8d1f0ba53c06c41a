/**
 * The review site's stylesheet and its one small script. Both ship inside the CLI: the site
 * loads nothing from the network (system fonts, no CDN).
 */

/** site.css: light and dark, following the reader's system setting. */
export const SITE_CSS = `:root {
  --bg: #fdfdfc; --fg: #1d1f21; --muted: #666b70; --line: #d9dcdf; --panel: #f3f4f5;
  --link: #1f5fbf; --crash: #c62828; --clean: #2e7d32; --error: #8d6e00; --warn-bg: #fff4d6;
  --add-bg: #e6f6ea; --add-fg: #1b5e20; --del-bg: #fdecec; --del-fg: #8e1b1b; --hunk: #eef2fb;
  --run: #43a047; --sleep: #9aa0a6; --flow: #1f5fbf; --stripe: #f5f6f8;
  --kw: #a626a4; --str: #50a14f; --num: #986801; --com: #8a8f98; --ty: #c18401; --fn: #4078f2;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #16181b; --fg: #e3e5e8; --muted: #9aa0a6; --line: #33373c; --panel: #1f2226;
    --link: #7fb0ff; --crash: #ff6b6b; --clean: #66bb6a; --error: #e0b400; --warn-bg: #3a3217;
    --add-bg: #15301c; --add-fg: #a5d6a7; --del-bg: #3a1a1a; --del-fg: #ef9a9a; --hunk: #1d2533;
    --run: #5cb860; --sleep: #80868b; --flow: #7fb0ff; --stripe: #1b1e22;
    --kw: #c678dd; --str: #98c379; --num: #d19a66; --com: #7f848e; --ty: #e5c07b; --fn: #61afef;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px; }
header.top { position: sticky; top: 0; z-index: 5; display: flex; gap: 1em; align-items: center;
  padding: .5em 1.2em; background: var(--panel); border-bottom: 1px solid var(--line); }
header.top .crumb { flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header.top nav a, header.top nav span { margin-left: .8em; }
header.top nav span { color: var(--muted); }
kbd { border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 3px; padding: 0 .3em; font-size: 12px; }
main { max-width: 1180px; margin: 0 auto; padding: 1em 1.2em 4em; }
h1 { font-size: 1.5em; margin: .4em 0 .2em; }
h2 { font-size: 1.15em; margin: 1.8em 0 .6em; padding-bottom: .2em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1em; margin: 1.2em 0 .4em; }
.muted { color: var(--muted); }
.banner { background: var(--warn-bg); border: 1px solid var(--line); padding: .5em .8em; border-radius: 4px; margin: .6em 0; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
.series td.step { font-variant-numeric: tabular-nums; color: var(--muted); }
.series tr.patch:hover { background: var(--panel); }
.strip { display: inline-flex; gap: 2px; }
.cell { display: inline-block; width: 14px; height: 14px; border-radius: 2px; }
.cell.crash { background: var(--crash); }
.cell.exhausted { background: var(--clean); }
/* Searched, not proven: the clean colour in stripes, so it never reads as the solid proof. */
.cell.searched { background: repeating-linear-gradient(135deg, var(--clean) 0 3px, transparent 3px 6px); box-shadow: inset 0 0 0 1px var(--clean); }
.cell.refuted { box-shadow: 0 0 0 2px var(--bg), 0 0 0 4px var(--crash); }
.cell.error { background: var(--error); }
.cell.bad { outline: 2px solid var(--fg); outline-offset: 1px; }
.matrix td, .matrix th { text-align: center; padding: .25em .4em; }
.matrix td.id, .matrix th.id, .matrix td.links { text-align: left; }
.badge { display: inline-block; padding: 0 .45em; border-radius: 3px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.crash { background: var(--crash); }
.badge.exhausted { background: var(--clean); }
.badge.searched { background: transparent; color: var(--clean); box-shadow: inset 0 0 0 1.5px var(--clean); }
.badge.error { background: var(--error); }
.pkg { white-space: nowrap; }
.msg { white-space: pre-wrap; margin: .4em 0; }
dl.trailers { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: .6em 0; }
dl.trailers dt { color: var(--muted); }
dl.trailers dd { margin: 0; }
pre.stat { background: var(--panel); padding: .6em .8em; overflow-x: auto; border-radius: 4px; }
.stat .plus { color: var(--add-fg); } .stat .minus { color: var(--del-fg); }
details.file { border: 1px solid var(--line); border-radius: 4px; margin: .8em 0; }
details.file > summary { padding: .35em .7em; background: var(--panel); cursor: pointer; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
.diff { width: 100%; border-collapse: collapse; table-layout: fixed; }
.diff td { border: 0; padding: 0 .5em; white-space: pre-wrap; word-break: break-all; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; line-height: 1.45; }
.diff col.n { width: 3.6em; } .diff col.s { width: 1.4em; }
.diff td.n { text-align: right; color: var(--muted); user-select: none; }
.diff td.s { user-select: none; }
.diff tr.add td { background: var(--add-bg); } .diff tr.add td.s { color: var(--add-fg); }
.diff tr.del td { background: var(--del-bg); } .diff tr.del td.s { color: var(--del-fg); }
.diff tr.hunk td { background: var(--hunk); color: var(--muted); padding: .15em .5em; }
.hljs-keyword, .hljs-built_in, .hljs-literal { color: var(--kw); }
.hljs-string, .hljs-regexp, .hljs-template-variable { color: var(--str); }
.hljs-number { color: var(--num); }
.hljs-comment, .hljs-meta { color: var(--com); font-style: italic; }
.hljs-type, .hljs-class .hljs-title, .hljs-title.class_ { color: var(--ty); }
.hljs-title, .hljs-title.function_ { color: var(--fn); }
.hljs-attr, .hljs-variable, .hljs-params { color: inherit; }
.hljs-section, .hljs-strong { font-weight: 600; }
.outcomes td.arrow { color: var(--muted); }
.outcomes tr.changed { background: var(--panel); font-weight: 500; }
.outcomes td.ok { color: var(--clean); } .outcomes td.notok { color: var(--crash); font-weight: 700; }
section.refuted { border: 2px solid var(--crash); border-radius: 6px; padding: .2em 1em .6em; margin: 1em 0 1.4em; background: var(--panel); }
section.refuted h2 { color: var(--crash); border-bottom: 0; margin-top: .5em; }
section.refuted .claim { font-weight: 600; }
section.refuted .why p { margin: .5em 0; white-space: pre-wrap; }
.refuted-mark, a.refuted-mark { color: var(--crash); font-weight: 600; }
.legend-cells .cell { vertical-align: middle; margin: 0 .2em; }
section.repro { border-top: 1px solid var(--line); padding-top: .4em; margin-top: 1.4em; }
.side { margin: .8em 0 1.4em; }
pre.report { background: var(--panel); padding: .7em .9em; overflow-x: auto; border-left: 3px solid var(--crash); border-radius: 3px; max-height: 32em; }
.doc { white-space: pre-wrap; color: var(--muted); font-size: 13.5px; }
.picwrap { display: flex; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); }
.picwrap svg.lane-names { flex: none; border-right: 1px solid var(--line); }
/* Scrolled to the end at first (the report is last); the picture itself reads left to right. */
.pic { overflow-x: auto; direction: rtl; flex: 1; }
.pic svg.lanes { direction: ltr; }
.picwrap.fit svg.lane-names { display: none; }
.picwrap.fit svg.lanes { width: 100%; height: auto; }
.picwrap:not(.fit) svg.lanes .lane-label { display: none; }
.pictools { display: flex; gap: 1em; align-items: center; margin: .3em 0; font-size: 13px; }
button { font: inherit; font-size: 13px; padding: .1em .6em; border: 1px solid var(--line); background: var(--panel); color: var(--fg); border-radius: 3px; cursor: pointer; }
.legend { display: flex; flex-wrap: wrap; gap: .3em 1.2em; font-size: 12.5px; color: var(--muted); margin: .3em 0 1em; }
.legend i { display: inline-block; width: 16px; height: 8px; margin-right: .3em; vertical-align: middle; }
.legend i.run { background: var(--run); } .legend i.hold { background: #3b6fd4; height: 3px; }
.legend i.wait { background: #f0a030; height: 5px; } .legend i.sleep { border-top: 2px dashed var(--sleep); height: 0; }
.legend i.flow { border-top: 2px solid var(--flow); height: 0; } .legend i.report { background: var(--crash); width: 3px; }
.legend i.warning { background: #e08a00; width: 3px; }
svg.lanes { display: block; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 10px; }
svg.lanes .stripe { fill: var(--stripe); }
svg.lanes .lane-label { fill: var(--fg); font-size: 11px; }
svg.lanes .tick { fill: var(--muted); }
svg.lanes .gap line { stroke: var(--line); stroke-dasharray: 2 3; }
svg.lanes .gap text, svg.lanes .cut text { fill: var(--muted); font-size: 9px; }
svg.lanes .cut line { stroke: var(--muted); stroke-width: 3; stroke-dasharray: 1 3; }
svg.lanes .run { fill: var(--run); }
svg.lanes .sleep { stroke: var(--sleep); stroke-width: 1.5; stroke-dasharray: 3 2; }
svg.lanes .sleep-label, svg.lanes .wait-label { fill: var(--muted); font-size: 9px; }
svg.lanes .hold.culprit, svg.lanes .wait.culprit { stroke: var(--crash); stroke-width: 1; }
svg.lanes .wait { fill: url(#hatch); stroke: #d08a20; stroke-width: .6; }
svg.lanes .wait-bg { fill: #f6c66e; } svg.lanes .wait-line { stroke: #d08a20; stroke-width: 1.5; }
svg.lanes .alloc { fill: var(--clean); } svg.lanes .free { fill: #8e44ad; }
svg.lanes .alloc.culprit, svg.lanes .free.culprit { stroke: var(--crash); stroke-width: 2; }
svg.lanes .culprit-label { fill: var(--crash); font-weight: 700; paint-order: stroke; stroke: var(--bg); stroke-width: 3px; }
svg.lane-names { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 11px; }
svg.lane-names .stripe { fill: var(--stripe); } svg.lane-names .lane-label { fill: var(--fg); }
svg.lanes .signal { fill: #e0b400; }
svg.lanes .point { fill: var(--muted); }
svg.lanes .flow { fill: none; stroke: var(--flow); stroke-width: 1; opacity: .7; }
svg.lanes .flow-head { fill: var(--flow); }
svg.lanes .warning line { stroke: #e08a00; stroke-width: 2; }
svg.lanes .report line { stroke: var(--crash); stroke-width: 1.5; }
svg.lanes .report path { stroke: var(--crash); stroke-width: 2.5; }
svg.lanes .report text { fill: var(--crash); font-weight: 700; font-size: 11px; paint-order: stroke; stroke: var(--bg); stroke-width: 3px; }
#help { position: fixed; right: 1em; bottom: 1em; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6em 1em; font-size: 13px; }
#help[hidden] { display: none; }
`;

/**
 * The inline script: keyboard navigation (the page's <link rel=prev/next/up>) and the
 * picture toggles. No network, no state beyond the page.
 */
export const SITE_JS = `(function () {
  var rel = function (r) { var l = document.querySelector('link[rel="' + r + '"]'); return l && l.getAttribute('href'); };
  var go = function (r) { var h = rel(r); if (h) location.href = h; };
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target; if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return;
    switch (e.key) {
      case 'ArrowRight': case 'j': case 'n': go('next'); break;
      case 'ArrowLeft': case 'k': case 'p': go('prev'); break;
      case 'u': case 'i': go('index'); break;
      case 'f': document.querySelectorAll('.picwrap').forEach(function (p) { p.classList.toggle('fit'); }); break;
      case 'e': var ds = document.querySelectorAll('details'); var open = Array.prototype.some.call(ds, function (d) { return !d.open; });
        ds.forEach(function (d) { d.open = open; }); break;
      case '?': var h = document.getElementById('help'); if (h) h.hidden = !h.hidden; break;
      default: return;
    }
    e.preventDefault();
  });
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button[data-fit]');
    if (b) { var p = document.getElementById(b.getAttribute('data-fit')); if (p) p.classList.toggle('fit'); }
  });
})();
`;
