// Times the Report renderer on synthetic Reports of 1,000 to 20,000 findings in jsdom: the first draw
// (guard + table's first page + sections), a text filter, and a sort. Run by benchmarks/bench_lab_render.py,
// which compiles the renderer's modules to CommonJS into LIB first:  node scripts/bench-render.js LIB
const { JSDOM } = require('jsdom');
const path = require('path');

const lib = path.resolve(process.argv[2]);
const dom = new JSDOM('<!doctype html><body></body>');
Object.assign(global, { window: dom.window, document: dom.window.document, Node: dom.window.Node, HTMLElement: dom.window.HTMLElement, SVGElement: dom.window.SVGElement });
const { renderReport, ReportView } = require(path.join(lib, 'report-view.js'));

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const RULES = ['NBSEC-NB-001', 'NBSEC-NB-010', 'NBSEC-ART-001', 'NBSEC-PRIV-001', 'NBSEC-DEP-002', 'NBSEC-TM-007'];

function report(n) {
  const findings = [];
  for (let i = 0; i < n; i++) {
    const rule = RULES[i % RULES.length];
    findings.push({
      rule_id: rule,
      title: `Finding ${i} of rule ${rule}`,
      severity: SEVERITIES[i % SEVERITIES.length],
      confidence: 'high',
      location: { path: `project/notebooks/nb${i % 50}.ipynb`, cell: i % 40, line: 1 + (i % 12), column: 3 },
      evidence: `value = load(path_${i})  # evidence text of finding ${i}`,
      remediation: 'Use a safe loader.',
      references: [{ framework: 'CWE', id: 'CWE-502' }, { framework: 'MITRE ATLAS', id: 'AML.T0010' }],
      fingerprint: `fp-${i}`
    });
  }
  return {
    schema_version: '1.3', tool: { name: 'nbsec', version: 'bench' },
    started_at: '2026-12-07T00:00:00Z', finished_at: '2026-12-07T00:00:01Z',
    targets: [{ path: 'project', kind: 'folder', status: 'scanned' }], findings,
    metrics: [], checks: [{ scanner: 'notebook-code', target: 'project', status: 'failed' }], errors: [], timings: { total: 1 }
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn, rounds) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

const figures = {};
for (const n of [1000, 5000, 20000]) {
  const data = report(n);
  const rounds = n >= 20000 ? 5 : 11;
  renderReport(data); // warm-up: JIT and jsdom's first layout of each element kind
  figures[`render_ms_${n}`] = +time(() => renderReport(data), rounds).toFixed(1);
  const view = new ReportView(data);
  figures[`text_filter_ms_${n}`] = +time(() => { view.setFilter({ text: 'nb7.ipynb' }); view.setFilter({ text: '' }); }, rounds).toFixed(1) / 2;
  figures[`sort_ms_${n}`] = +time(() => { view.setSort('rule', 'asc'); view.setSort('severity', 'desc'); }, rounds).toFixed(1) / 2;
}
console.log(JSON.stringify(figures));
