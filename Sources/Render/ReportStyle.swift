/// The report's stylesheet, inlined in every page: a readable measure for prose, figures up to
/// the page width, quiet cell chrome, and print rules (no breaks inside figures and tables).
let reportStyle = """
    :root { --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --tint: #f6f8fa; --accent: #0b5cad; --bad: #b42318; --good: #1a7f37; }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; }
    body { margin: 0; color: var(--ink); background: #fff;
      font: 16px/1.6 Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif; }
    .report { max-width: 56rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
    h1, h2, h3, h4, h5, h6, nav, figcaption, .cell, table, .byline, footer {
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    h1.title { font-size: 2.1rem; line-height: 1.2; margin: 0 0 .4rem; }
    h2 { font-size: 1.55rem; margin: 2.6rem 0 .8rem; border-bottom: 1px solid var(--rule); padding-bottom: .25rem; }
    h3 { font-size: 1.25rem; margin: 2rem 0 .6rem; }
    h4, h5, h6 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
    .secnum { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .35em; }
    .byline { color: var(--muted); margin: 0 0 1.5rem; }
    .title-block { margin-bottom: 1.5rem; }
    p, li { max-width: 44rem; }
    a { color: var(--accent); }
    code { font: .88em/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: var(--tint); padding: .05em .3em; border-radius: 3px; }
    pre { overflow-x: auto; background: var(--tint); padding: .75rem 1rem; border-radius: 6px; line-height: 1.4; }
    pre code { background: none; padding: 0; }
    blockquote { margin: 1rem 0; padding: 0 1rem; color: var(--muted); border-left: 3px solid var(--rule); }
    .ref { font-variant-numeric: tabular-nums; }
    .ref.missing { color: var(--bad); background: #fdecea; padding: 0 .2em; }
    .claim { font-size: .8em; padding: 0 .25em; border-radius: 3px; cursor: help; white-space: nowrap; }
    .claim.pass { color: var(--good); }
    .claim.fail, .claim.unchecked { color: var(--bad); background: #fdecea; }
    .claim.skipped { color: var(--muted); }
    .claims-failing { border: 1px solid var(--bad); background: #fdecea; border-radius: 6px; padding: .4rem 1rem; margin: 1rem 0; }
    .claims-failing p { margin: .3rem 0; font-weight: 600; }
    a.xref { text-decoration: none; border-bottom: 1px dotted var(--accent); }
    nav.toc, nav.lof { border: 1px solid var(--rule); border-radius: 8px; padding: .5rem 1.25rem 1rem; margin: 1rem 0 1.5rem; font-size: .94rem; }
    nav h2 { font-size: 1.05rem; border: 0; margin: .6rem 0 .4rem; }
    nav ul, nav ol { margin: 0; padding-left: 1.1rem; }
    nav ul { list-style: none; padding-left: 0; }
    nav li { margin: .15rem 0; }
    nav a { text-decoration: none; }
    .toc-2 { padding-left: 1.4rem; } .toc-3 { padding-left: 2.8rem; } .toc-4 { padding-left: 4.2rem; }
    .lof li::marker { content: ""; }
    .lof ol { list-style: none; padding-left: 0; }
    .cell { margin: 1.25rem 0; padding: .6rem .9rem .4rem; border-left: 3px solid var(--rule); font-size: .94rem; }
    .cell-source summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
    .cell-source summary code { background: none; }
    .cell-source pre { margin: .4rem 0 .6rem; font-size: .85rem; }
    .cell-title { margin: .6rem 0 .3rem; }
    .output-text { white-space: pre-wrap; margin: .5rem 0; }
    .cell-caption { color: var(--muted); }
    .cell-error { border: 1px solid #f1aeb5; background: #fdecea; color: var(--bad); border-radius: 6px; padding: .5rem .9rem; margin: .5rem 0; }
    .cell-error pre { background: none; color: var(--ink); margin: .3rem 0 0; padding: 0; white-space: pre-wrap; }
    .cell-error p { margin: 0; }
    .cell-skipped, .cell-status { color: var(--muted); font-style: italic; }
    .provenance { color: var(--muted); font-size: .78rem; margin: .5rem 0 .1rem; }
    .provenance code { font-size: .95em; }
    figure { margin: .8rem 0; break-inside: avoid; }
    figure.panels { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: flex-start; }
    figure.panels > .panel { flex: 1 1 100%; min-width: 0; }
    figure.panels > .chart-small { flex: 1 1 17rem; }
    figure.panels > figcaption { flex: 1 1 100%; }
    .panel-label { font-size: .85rem; color: var(--muted); margin-bottom: .2rem; }
    figure svg { display: block; max-width: 100%; height: auto; }
    figcaption { font-size: .9rem; color: var(--ink); margin-top: .4rem; }
    .fignum { font-weight: 600; }
    table { border-collapse: collapse; margin: .6rem 0; font-size: .85rem; font-variant-numeric: tabular-nums; break-inside: avoid; }
    table caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .3rem; }
    th, td { padding: .2rem .7rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
    th { border-bottom: 2px solid var(--rule); font-weight: 600; }
    td.num, th.num { text-align: right; }
    /* A model's encoder and decoder summaries side by side, compact. */
    .cell-train table.data { display: inline-table; vertical-align: top; margin-right: .75rem; font-size: .72rem; }
    .cell-train table.data th, .cell-train table.data td { padding: .1rem .4rem; }
    .table-fold summary { cursor: pointer; font-weight: 600; font-size: .85rem; margin: .4rem 0; }
    .report-footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--rule); color: var(--muted); font-size: .8rem; }
    .checksums code { font-size: .75rem; word-break: break-all; }
    section.notebook { margin-top: 3rem; }
    @media (max-width: 40rem) { .report { padding: 1rem .75rem 3rem; } .cell { padding: .4rem .5rem; } }
    @media print {
      .report { max-width: none; padding: 0; }
      nav.toc, nav.lof { break-after: page; }
      .cell { border-left: 0; padding: 0; }
      .cell-source { display: none; }
      a { color: inherit; text-decoration: none; }
      h2, h3, h4 { break-after: avoid; }
    }

    """
