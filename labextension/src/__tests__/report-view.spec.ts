import * as fs from 'fs';
import * as path from 'path';

import { PAGE_SIZE, ReportView, describeLocation, isReport, renderReport, reportProblem, ruleCategory, ruleExcluded } from '../report-view';
import type { Finding, Location, NbsecReportV1 } from '../report-types';

const SAMPLE_TEXT = fs.readFileSync(path.join(__dirname, 'fixtures', 'report-sample.json'), 'utf-8');

/** A fresh copy of the sample (a real `nbsec scan` of `nbsec demo`, trimmed) for each test to change. */
function sample(): NbsecReportV1 {
  return JSON.parse(SAMPLE_TEXT);
}

function rows(node: HTMLElement): HTMLTableRowElement[] {
  return Array.from(node.querySelectorAll<HTMLTableRowElement>('tr.nbsec-finding'));
}

function ruleIds(node: HTMLElement): string[] {
  return rows(node).map(tr => tr.querySelector('.nbsec-col-rule')?.textContent ?? '');
}

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    rule_id: 'NBSEC-NB-001',
    title: 'torch.load without weights_only=True',
    severity: 'high',
    confidence: 'high',
    location: { path: 'demo.ipynb', cell: 0, line: 1 },
    evidence: 'torch.load(p)',
    remediation: 'Pass weights_only=True.',
    references: [],
    fingerprint: 'f0',
    ...overrides
  };
}

describe('the sample report', () => {
  test('is a report, and its header says what was scanned and what was found', () => {
    const report = sample();
    expect(isReport(report)).toBe(true);
    const view = new ReportView(report);
    const header = view.node.querySelector('.nbsec-report-header')?.textContent ?? '';
    expect(header).toContain(`nbsec ${report.tool.version}`);
    expect(header).toContain('8 targets (7 scanned, 1 skipped)');
    expect(header).toContain('scanned 2026-12-07 09:49:52 UTC');
    expect(header).toContain('2 suppressed (2 inline)');
    const chips = Array.from(view.node.querySelectorAll<HTMLButtonElement>('.nbsec-chip'));
    expect(chips.map(c => c.textContent)).toEqual(['2 critical', '9 high', '5 medium', '2 low', '0 info']);
    expect(rows(view.node)).toHaveLength(report.findings.length);
  });

  test('findings are sorted worst first, then by place', () => {
    const view = new ReportView(sample());
    const severities = rows(view.node).map(tr => tr.dataset.severity);
    expect(severities.slice(0, 2)).toEqual(['critical', 'critical']);
    expect(severities.slice(-2)).toEqual(['low', 'low']);
    // the two critical ones: the checkpoint's path sorts before the threat model's
    expect(ruleIds(view.node).slice(0, 2)).toEqual(['NBSEC-ART-001', 'NBSEC-TM-007']);
    // within high, demo.ipynb cells in order
    const highNotebook = view.visibleFindings().filter(f => f.severity === 'high' && f.location.path.endsWith('demo.ipynb'));
    const cells = highNotebook.map(f => f.location.cell ?? -1);
    expect(cells).toEqual([...cells].sort((a, b) => a - b));
  });

  test('locations show the path, the cell 1-based, the line, element and member', () => {
    const view = new ReportView(sample());
    const locations = rows(view.node).map(tr => tr.querySelector('.nbsec-col-location')?.textContent);
    expect(locations).toContain('nbsec-demo/demo.ipynb, cell 5 [3], line 2, col 6');
    expect(locations).toContain('nbsec-demo/checkpoints/finetuned.pt!archive/data.pkl, byte 97');
    expect(locations).toContain('nbsec-demo/threatmodel.nbsec.yaml, line 21, element base-checkpoint');
    expect(describeLocation({ path: 'app', endpoint: 'https://llm.example/v1' })).toBe('app, endpoint https://llm.example/v1');
  });

  test('checks, metrics and figures are shown', () => {
    const report = sample();
    const node = new ReportView(report).node;
    const coverage = node.querySelector<HTMLDetailsElement>('details.nbsec-coverage');
    expect(coverage?.open).toBe(false); // findings are the content; coverage stays folded
    expect(coverage?.querySelector('summary')?.textContent).toBe('Checks and coverage: 8 checks (3 passed, 5 failed) on 8 targets');
    expect(coverage?.querySelectorAll('.nbsec-checks tbody tr')).toHaveLength(report.checks.length);
    const metrics = Array.from(node.querySelectorAll('.nbsec-metrics tbody tr'), tr => Array.from(tr.children, td => td.textContent));
    expect(metrics).toContainEqual(['scan_throughput', '58.746', 'files/s', '']);
    expect(node.querySelectorAll('.nbsec-figures figure')).toHaveLength(3);
    expect(node.querySelectorAll('.nbsec-figures svg')).toHaveLength(2);
  });
});

describe('filtering', () => {
  test('by severity, from setFilter and from the chips', () => {
    const view = new ReportView(sample());
    view.setFilter({ severities: new Set(['critical']) });
    expect(rows(view.node).map(tr => tr.dataset.severity)).toEqual(['critical', 'critical']);
    expect(view.node.querySelector('.nbsec-shown')?.textContent).toBe('2 of 18 shown');

    view.setFilter({ severities: new Set(['critical', 'high', 'medium', 'low', 'info']) });
    const low = view.node.querySelector<HTMLButtonElement>('.nbsec-chip[data-severity="low"]');
    low?.click();
    expect(low?.getAttribute('aria-pressed')).toBe('false');
    expect(view.filter.severities.has('low')).toBe(false);
    expect(rows(view.node).some(tr => tr.dataset.severity === 'low')).toBe(false);
    expect(rows(view.node)).toHaveLength(16);
    low?.click();
    expect(rows(view.node)).toHaveLength(18);
  });

  test('by category, the rule id middle part', () => {
    const view = new ReportView(sample());
    expect(ruleCategory('NBSEC-PRIV-001')).toBe('PRIV');
    const select = view.node.querySelector<HTMLSelectElement>('.nbsec-category-select');
    expect(Array.from(select?.options ?? [], o => o.textContent)).toEqual([
      'All categories',
      'Model artifacts (1)',
      'Notebooks and code (8)',
      'Privacy (2)',
      'Threat model (7)'
    ]);
    select!.value = 'PRIV';
    select!.dispatchEvent(new Event('change'));
    expect(view.filter.category).toBe('PRIV');
    expect(ruleIds(view.node)).toEqual(['NBSEC-PRIV-001', 'NBSEC-PRIV-001']);
  });

  test('by rule', () => {
    const view = new ReportView(sample());
    const select = view.node.querySelector<HTMLSelectElement>('.nbsec-rule-select');
    select!.value = 'NBSEC-NB-001';
    select!.dispatchEvent(new Event('change'));
    expect(ruleIds(view.node)).toEqual(['NBSEC-NB-001', 'NBSEC-NB-001']);
    view.setFilter({ rule: 'NBSEC-TM-019', category: 'NB' }); // both must hold
    expect(rows(view.node)).toHaveLength(0);
    expect(view.node.querySelector<HTMLElement>('.nbsec-empty')?.hidden).toBe(false);
    expect(view.node.querySelector<HTMLTableElement>('table.nbsec-findings')?.hidden).toBe(true);
  });

  test('by text: title, rule id, path and evidence, ignoring case', () => {
    const view = new ReportView(sample());
    const search = view.node.querySelector<HTMLInputElement>('.nbsec-search')!;
    search.value = 'TRUST_REMOTE_CODE';
    search.dispatchEvent(new Event('input'));
    expect(ruleIds(view.node)).toEqual(['NBSEC-NB-004']);

    view.setFilter({ text: 'nbsec-nb-01' });
    expect(ruleIds(view.node).sort()).toEqual(['NBSEC-NB-010', 'NBSEC-NB-011']);
    expect(search.value).toBe('nbsec-nb-01');

    view.setFilter({ text: 'finetuned.pt' });
    expect(view.visibleFindings().every(f => /finetuned/.test(describeLocation(f.location) + f.evidence))).toBe(true);
    expect(rows(view.node).length).toBeGreaterThan(0);

    view.setFilter({ text: 'sha256:cfc16f12' }); // redacted evidence
    expect(ruleIds(view.node)).toEqual(['NBSEC-NB-010']);

    view.setFilter({ text: 'PERSONAL data in' }); // titles
    expect(view.visibleFindings().map(f => f.rule_id).sort()).toEqual(['NBSEC-PRIV-001', 'NBSEC-PRIV-001', 'NBSEC-TM-013']);
  });

  test('"Clear filters" shows everything again', () => {
    const view = new ReportView(sample());
    view.setFilter({ text: 'no such thing', severities: new Set(['info']) });
    expect(rows(view.node)).toHaveLength(0);
    view.node.querySelector<HTMLButtonElement>('.nbsec-empty .nbsec-link-button')!.click();
    expect(rows(view.node)).toHaveLength(18);
    expect(view.filter.text).toBe('');
  });
});

describe('sorting', () => {
  test('setSort by rule, both directions', () => {
    const view = new ReportView(sample());
    view.setSort('rule', 'asc');
    const ids = ruleIds(view.node);
    expect(ids).toEqual([...ids].sort());
    view.setSort('rule', 'desc');
    expect(ruleIds(view.node)).toEqual([...ids].sort().reverse());
  });

  test('clicking a column header sorts by it and toggles the direction', () => {
    const view = new ReportView(sample());
    const th = view.node.querySelector<HTMLTableCellElement>('th[data-sort-key="location"]')!;
    expect(th.getAttribute('aria-sort')).toBe('none');
    th.querySelector('button')!.click();
    expect(th.getAttribute('aria-sort')).toBe('ascending');
    const paths = view.visibleFindings().map(f => f.location.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths[0]).toBe('nbsec-demo/checkpoints/finetuned.pt');
    th.querySelector('button')!.click();
    expect(th.getAttribute('aria-sort')).toBe('descending');
    expect(view.visibleFindings()[0].location.path).toBe('nbsec-demo/threatmodel.nbsec.yaml');
    expect(view.node.querySelector('th[data-sort-key="severity"]')?.getAttribute('aria-sort')).toBe('none');
  });

  test('severity ascending puts the least severe first', () => {
    const view = new ReportView(sample());
    view.setSort('severity', 'asc');
    expect(rows(view.node)[0].dataset.severity).toBe('low');
    view.setSort('confidence');
    const confidences = view.visibleFindings().map(f => f.confidence);
    expect(confidences.indexOf('high')).toBe(0);
    expect(confidences.lastIndexOf('high')).toBeLessThan(confidences.indexOf('medium'));
  });
});

describe('expanding a finding', () => {
  test('a click shows evidence, fix, references, tags, fingerprint; a second click hides them', () => {
    const report = sample();
    report.findings[0].tags = ['pickle', 'demo'];
    const view = new ReportView(report);
    const tr = rows(view.node).find(r => r.textContent?.includes('NBSEC-ART-001'))!;
    expect(tr.getAttribute('aria-expanded')).toBe('false');
    tr.querySelector('td')!.click();
    expect(tr.getAttribute('aria-expanded')).toBe('true');
    const detail = tr.nextElementSibling as HTMLElement;
    expect(detail.classList.contains('nbsec-finding-detail')).toBe(true);
    expect(detail.querySelector('pre.nbsec-evidence')?.textContent).toBe(report.findings[0].evidence);
    expect(detail.querySelector('.nbsec-remediation')?.textContent).toContain(report.findings[0].remediation);
    const links = Array.from(detail.querySelectorAll<HTMLAnchorElement>('a.nbsec-reference'));
    expect(links.map(a => a.textContent)).toContain('CWE-502');
    expect(links.find(a => a.textContent === 'CWE-502')?.getAttribute('href')).toBe('https://cwe.mitre.org/data/definitions/502.html');
    links.forEach(a => expect(a.rel).toBe('noopener noreferrer'));
    expect(Array.from(detail.querySelectorAll('.nbsec-tag'), t => t.textContent)).toEqual(['pickle', 'demo']);
    expect(detail.querySelector('.nbsec-fingerprint')?.textContent).toBe(report.findings[0].fingerprint);
    expect(detail.querySelector('.nbsec-open')).toBeNull(); // no callback, no button

    tr.click();
    expect(tr.getAttribute('aria-expanded')).toBe('false');
    expect(view.node.querySelector('.nbsec-finding-detail')).toBeNull();
  });

  test('Enter and Space toggle a focused row', () => {
    const view = new ReportView(sample());
    const tr = rows(view.node)[0];
    expect(tr.tabIndex).toBe(0);
    const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
    tr.dispatchEvent(enter);
    expect(tr.getAttribute('aria-expanded')).toBe('true');
    expect(enter.defaultPrevented).toBe(true);
    tr.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true, cancelable: true }));
    expect(tr.getAttribute('aria-expanded')).toBe('false');
    tr.dispatchEvent(new KeyboardEvent('keydown', { key: 'a', bubbles: true }));
    expect(tr.getAttribute('aria-expanded')).toBe('false');
  });

  test('expanded rows stay expanded across filtering and sorting', () => {
    const view = new ReportView(sample());
    rows(view.node)[0].click();
    view.setSort('rule', 'asc');
    view.setFilter({ text: 'pickle' });
    const open = rows(view.node).filter(tr => tr.getAttribute('aria-expanded') === 'true');
    expect(open.map(tr => tr.querySelector('.nbsec-col-rule')?.textContent)).toEqual(['NBSEC-ART-001']);
    expect(view.node.querySelectorAll('.nbsec-finding-detail')).toHaveLength(1);
  });

  test('"Open" passes the location to onOpenLocation', () => {
    const opened: Location[] = [];
    const view = new ReportView(sample(), { onOpenLocation: location => opened.push(location) });
    const tr = rows(view.node).find(r => r.textContent?.includes('NBSEC-NB-004'))!;
    tr.click();
    (tr.nextElementSibling as HTMLElement).querySelector<HTMLButtonElement>('button.nbsec-open')!.click();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ path: 'nbsec-demo/demo.ipynb', cell: 7, line: 1 });
    expect(tr.getAttribute('aria-expanded')).toBe('true'); // the button does not fold the row
  });
});

describe('settings: minimum severity and excluded rules', () => {
  test('findings below the minimum are not shown, and the view says how many', () => {
    const view = new ReportView(sample(), { minSeverity: 'high' });
    expect(rows(view.node).every(tr => ['critical', 'high'].includes(tr.dataset.severity ?? ''))).toBe(true);
    expect(rows(view.node)).toHaveLength(11);
    expect(view.node.querySelector('.nbsec-hidden-by-settings')?.textContent).toBe('7 findings hidden by your settings (below high)');
    expect(Array.from(view.node.querySelectorAll('.nbsec-chip'), c => c.textContent)).toEqual(['2 critical', '9 high']);
    view.setFilter({ severities: new Set(['medium', 'low']) });
    expect(view.visibleFindings()).toEqual([]);
  });

  test('excluded rules take ids, prefixes and globs as --exclude-rule does', () => {
    expect(ruleExcluded('NBSEC-TM-001', ['NBSEC-TM'])).toBe(true);
    expect(ruleExcluded('NBSEC-TMX-001', ['NBSEC-TM'])).toBe(false);
    expect(ruleExcluded('NBSEC-NB-004', ['nbsec-nb-00*'])).toBe(true);
    expect(ruleExcluded('NBSEC-NB-010', ['NBSEC-NB-00*'])).toBe(false);
    expect(ruleExcluded('NBSEC-NB-010', ['NBSEC-NB-01?'])).toBe(true);
    expect(ruleExcluded('NBSEC-NB-010', ['NBSEC-NB-010'])).toBe(true);
    expect(ruleExcluded('NBSEC-NB-010', ['NBSEC-NB-01'])).toBe(false);

    const view = new ReportView(sample(), { excludedRules: ['NBSEC-TM', 'NBSEC-NB-00*'] });
    const ids = ruleIds(view.node);
    expect(ids.some(id => id.startsWith('NBSEC-TM'))).toBe(false);
    expect(ids.sort()).toEqual(['NBSEC-ART-001', 'NBSEC-NB-010', 'NBSEC-NB-011', 'NBSEC-PRIV-001', 'NBSEC-PRIV-001']);
    expect(view.node.querySelector('.nbsec-hidden-by-settings')?.textContent).toBe(
      '13 findings hidden by your settings (rules excluded: NBSEC-TM, NBSEC-NB-00*)'
    );
  });

  test('an unknown minimum severity from the settings hides nothing', () => {
    const view = new ReportView(sample(), { minSeverity: 'none' as never });
    expect(rows(view.node)).toHaveLength(18);
    expect(view.node.querySelector('.nbsec-hidden-by-settings')).toBeNull();
  });

  test('when the settings hide every finding, the empty state says so', () => {
    const node = new ReportView(sample(), { excludedRules: ['NBSEC'] }).node;
    expect(rows(node)).toHaveLength(0);
    expect(node.querySelector('.nbsec-findings-empty')?.textContent).toContain('18 findings hidden by your settings');
  });
});

describe('empty and incomplete reports', () => {
  test('no findings still shows what was scanned', () => {
    const report = sample();
    report.findings = [];
    report.suppressed = [];
    const node = new ReportView(report).node;
    const empty = node.querySelector('.nbsec-findings-empty');
    expect(empty?.querySelector('.nbsec-clean')?.textContent).toBe('No findings');
    expect(empty?.textContent).toContain('8 checks on 8 targets by model-artifacts, notebook-code, notebook-content, threat-model.');
    expect(node.querySelector<HTMLDetailsElement>('details.nbsec-coverage')?.open).toBe(true);
    expect(node.querySelector('table.nbsec-findings')).toBeNull();
  });

  test('errors are shown first and an error is not clean', () => {
    const report = sample();
    report.findings = [];
    report.errors = [{ scanner: 'model-artifacts', target: 'nbsec-demo/big.bin', message: 'file is larger than max_file_size', hint: 'raise max_file_size in .nbsec.toml' }];
    const node = new ReportView(report).node;
    const errors = node.querySelector('.nbsec-errors');
    expect(errors?.getAttribute('role')).toBe('alert');
    expect(errors?.textContent).toContain('Could not scan 1 target');
    expect(errors?.querySelector('.nbsec-error-target')?.textContent).toBe('nbsec-demo/big.bin');
    expect(errors?.textContent).toContain('(model-artifacts): file is larger than max_file_size');
    expect(errors?.querySelector('.nbsec-error-hint')?.textContent).toBe('Hint: raise max_file_size in .nbsec.toml');
    expect(node.querySelector('.nbsec-clean')).toBeNull();
    expect(node.querySelector('.nbsec-empty')?.textContent).toBe('No findings, but the scan is incomplete');
    // the error box comes before the findings
    expect(node.children[1]).toBe(errors);
  });

  test('a baseline comparison is summarised', () => {
    const report = sample();
    report.baseline = { path: '.nbsec-baseline.json', new: 3, fixed: 2, unchanged: 13 };
    const node = new ReportView(report).node;
    expect(node.querySelector('.nbsec-baseline')?.textContent).toBe('Baseline: 3 new, 2 fixed, 13 unchanged (.nbsec-baseline.json)');
  });
});

describe('malformed data renders an error box', () => {
  const broken: Array<[string, (r: Record<string, unknown>) => unknown]> = [
    ['null', () => null],
    ['a list', () => []],
    ['a string', () => '<img src=x onerror=alert(1)>'],
    ['a newer major schema', r => ({ ...r, schema_version: '2.0' })],
    ['findings not a list', r => ({ ...r, findings: {} })],
    ['an unknown severity', r => ({ ...r, findings: [{ ...(r.findings as Finding[])[0], severity: 'urgent' }] })],
    ['a location without a path', r => ({ ...r, findings: [{ ...(r.findings as Finding[])[0], location: { cell: 1 } }] })],
    ['a cell that is not a number', r => ({ ...r, findings: [{ ...(r.findings as Finding[])[0], location: { path: 'a', cell: '1' } }] })],
    ['a reference without an id', r => ({ ...r, findings: [{ ...(r.findings as Finding[])[0], references: [{ framework: 'CWE' }] }] })],
    ['a metric value that is text', r => ({ ...r, metrics: [{ name: 'm', value: '1', unit: '', labels: {} }] })],
    ['no timings', r => ({ ...r, timings: undefined })]
  ];

  test.each(broken)('%s', (_, make) => {
    const data = make(sample() as unknown as Record<string, unknown>);
    expect(isReport(data)).toBe(false);
    let node: HTMLElement | undefined;
    expect(() => {
      node = renderReport(data);
    }).not.toThrow();
    expect(node?.classList.contains('nbsec-report-error')).toBe(true);
    expect(node?.getAttribute('role')).toBe('alert');
    expect(node?.querySelector('p')?.textContent).toBe(reportProblem(data));
    expect(node?.querySelector('img')).toBeNull();
  });

  test('the problem names the place', () => {
    const report = sample() as unknown as { findings: Array<Record<string, unknown>> };
    report.findings[3].severity = 'urgent';
    expect(reportProblem(report)).toBe('findings[3].severity should be one of critical, high, medium, low, info, is "urgent"');
  });

  test('a well-formed report renders the view', () => {
    const node = renderReport(sample());
    expect(node.classList.contains('nbsec-report')).toBe(true);
  });
});

describe('large reports', () => {
  test(`renders ${PAGE_SIZE} rows at a time of 5000 findings, with "show more"`, () => {
    const report = sample();
    report.findings = Array.from({ length: 5000 }, (_, i) =>
      finding({ rule_id: `NBSEC-NB-00${i % 5}`, severity: i % 2 ? 'medium' : 'high', location: { path: `nb${i % 50}.ipynb`, cell: i % 7 }, fingerprint: `f${i}` })
    );
    const view = new ReportView(report);
    expect(rows(view.node)).toHaveLength(PAGE_SIZE);
    expect(view.visibleFindings()).toHaveLength(5000);
    const more = view.node.querySelector<HTMLButtonElement>('.nbsec-more')!;
    expect(more.hidden).toBe(false);
    expect(more.textContent).toBe(`Show ${PAGE_SIZE} more (${5000 - PAGE_SIZE} not shown)`);
    more.click();
    expect(rows(view.node)).toHaveLength(2 * PAGE_SIZE);
    view.setFilter({ rule: 'NBSEC-NB-003' }); // 1000 findings: the page starts over
    expect(rows(view.node)).toHaveLength(PAGE_SIZE);
    expect(view.node.querySelector('.nbsec-shown')?.textContent).toBe('1000 of 5000 shown');
    view.setFilter({ text: 'NB8.IPYNB' }); // i % 50 == 8 implies i % 5 == 3: 100 of them
    expect(rows(view.node)).toHaveLength(100);
    expect(more.hidden).toBe(true);
  });
});

// -- hostile content ---------------------------------------------------------------------------------

const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>window.__pwned=1</script>',
  '"><svg onload=alert(1)>',
  "'><iframe src=javascript:alert(1)></iframe>",
  '</pre><a href="javascript:alert(1)">x</a>'
];
const ALL = PAYLOADS.join(' ');

function hostileReport(): NbsecReportV1 {
  const report = sample();
  const f = report.findings[0];
  report.findings = [
    {
      ...f,
      rule_id: `NBSEC-NB-001${PAYLOADS[0]}`,
      title: ALL,
      evidence: ALL,
      remediation: ALL,
      location: { path: ALL, cell: 0, member: PAYLOADS[2], element: PAYLOADS[1], endpoint: PAYLOADS[3] },
      references: [
        { framework: 'CWE', id: PAYLOADS[1], url: 'javascript:alert(1)' },
        { framework: PAYLOADS[0], id: PAYLOADS[2], url: 'data:text/html,<script>alert(1)</script>' },
        { framework: 'Vendor', id: 'V-1', url: ' javascript:alert(document.domain)' }
      ],
      tags: [PAYLOADS[0], PAYLOADS[2]],
      fingerprint: PAYLOADS[1]
    },
    ...report.findings.slice(1, 3)
  ];
  report.tool.version = PAYLOADS[1];
  report.started_at = PAYLOADS[0];
  report.targets[0] = { path: ALL, kind: PAYLOADS[2], status: 'scanned', detail: ALL };
  report.checks[0] = { scanner: PAYLOADS[0], target: ALL, status: 'passed', detail: ALL };
  report.errors = [{ scanner: PAYLOADS[2], target: ALL, message: ALL, hint: ALL }];
  report.metrics = [{ name: PAYLOADS[0], value: 1, unit: PAYLOADS[1], labels: { [PAYLOADS[2]]: ALL } }];
  report.baseline = { path: ALL, new: 1, fixed: 0, unchanged: 0 };
  report.suppressed = [{ reason: 'inline', detail: ALL, finding: { ...report.findings[1], title: ALL, location: { path: ALL, member: PAYLOADS[2] } } }];
  report.fixes = {
    mode: 'dry-run',
    summary: ALL,
    changes: [{ path: ALL, kind: 'text', summary: ALL, rule_ids: [PAYLOADS[0]], findings: [], status: 'refused', diff: ALL, reason: ALL }],
    outcomes: [],
    backups: []
  };
  report.figures = [
    { id: PAYLOADS[2], title: ALL, kind: 'line', data: { x_label: ALL, y_label: ALL, note: ALL, series: [{ name: ALL, x: [0, 1], y: [0, 1] }] } },
    { id: 'bars', title: ALL, kind: 'bar', data: { categories: [ALL], series: [{ name: ALL, values: [1] }] } },
    {
      id: 'grid',
      title: ALL,
      kind: 'image-grid',
      data: {
        columns: [ALL],
        rows: [
          {
            label: ALL,
            images: [
              { src: 'javascript:alert(1)', caption: ALL },
              { src: 'x" onerror="alert(1)', caption: ALL },
              { src: 'data:image/svg+xml,<svg onload=alert(1)>', caption: ALL },
              { src: 'https://evil.example/track.png', caption: ALL }
            ]
          }
        ]
      }
    }
  ];
  return report;
}

function expectInert(node: HTMLElement): void {
  expect(node.querySelector('script, iframe, object, embed, img, style, link, meta, base, form')).toBeNull();
  for (const el of Array.from(node.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      expect(attr.name.toLowerCase().startsWith('on')).toBe(false);
      expect(['id', 'style', 'src', 'srcdoc', 'action', 'formaction']).not.toContain(attr.name.toLowerCase());
    }
  }
  // the only SVG is the charts nbsec draws, never an element parsed from data
  for (const el of Array.from(node.querySelectorAll('svg'))) {
    expect(el.classList.contains('nbsec-chart')).toBe(true);
  }
  for (const a of Array.from(node.querySelectorAll('[href]'))) {
    expect(a.getAttribute('href')).toMatch(/^https?:\/\//);
  }
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
}

describe('hostile report content', () => {
  test('every string from the report is text: no markup, no handlers, no script URLs', () => {
    const report = hostileReport();
    expect(isReport(report)).toBe(true);
    const view = new ReportView(report, { onOpenLocation: () => undefined });
    document.body.appendChild(view.node);
    rows(view.node).forEach(tr => tr.click()); // expand all: evidence, remediation, references, tags
    view.node.querySelectorAll('details').forEach(d => (d.open = true)); // coverage, suppressed, fixes
    expectInert(view.node);

    const text = view.node.textContent ?? '';
    for (const payload of PAYLOADS) {
      expect(text).toContain(payload);
    }
    const detail = view.node.querySelector('.nbsec-finding-detail')!;
    expect(detail.querySelector('pre.nbsec-evidence')?.textContent).toBe(ALL);
    expect(detail.querySelector('.nbsec-remediation')?.textContent).toBe(`Fix: ${ALL}`);
    expect(Array.from(detail.querySelectorAll('.nbsec-tag'), t => t.textContent)).toEqual([PAYLOADS[0], PAYLOADS[2]]);
    // the CWE reference falls back to its canonical page only if its id is a CWE id: this one is not
    expect(detail.querySelectorAll('a')).toHaveLength(0);
    expect(detail.querySelector('.nbsec-references')?.textContent).toContain(`CWE ${PAYLOADS[1]}`);
    expect(view.node.querySelector('.nbsec-errors')?.textContent).toContain(ALL);
    const suppressed = view.node.querySelector('.nbsec-suppressed tbody tr')!;
    expect(suppressed.querySelector('.nbsec-col-title')?.textContent).toBe(ALL);
    expect(suppressed.querySelector('.nbsec-col-location')?.textContent).toBe(`${ALL}!${PAYLOADS[2]}`);
    expect(suppressed.querySelector('.nbsec-suppressed-reason')?.textContent).toBe(`inline: ${ALL}`);
    const fixes = view.node.querySelector('.nbsec-fixes')!;
    expect(fixes.querySelector('.nbsec-fixes-summary')?.textContent).toBe(ALL);
    expect(fixes.querySelector('.nbsec-fix-path')?.textContent).toBe(ALL);
    expect(fixes.querySelector('.nbsec-fix-reason')?.textContent).toBe(`Why not: ${ALL}`);
    expect(view.node.querySelector('.nbsec-metrics')?.textContent).toContain(`${PAYLOADS[2]}=${ALL}`);
    const figures = view.node.querySelector('.nbsec-figures')!;
    expect(figures.querySelectorAll('figcaption')).toHaveLength(3);
    figures.querySelectorAll('figcaption').forEach(c => expect(c.textContent).toBe(ALL));
    expect(figures.textContent?.match(/image left out/g)).toHaveLength(4);
    document.body.removeChild(view.node);
  });

  test('hostile filter text and hostile option values stay inert', () => {
    const view = new ReportView(hostileReport());
    view.setFilter({ text: PAYLOADS[1] });
    expect(rows(view.node)).toHaveLength(1);
    const rule = `NBSEC-NB-001${PAYLOADS[0]}`;
    view.setFilter({ text: '', rule });
    expect(ruleIds(view.node)).toEqual([rule]);
    expectInert(view.node);
  });

  test('a malformed hostile report gives an inert error box', () => {
    const node = renderReport({ schema_version: '<img src=x onerror=alert(1)>' });
    expectInert(node);
    expect(node.textContent).toContain('<img src=x onerror=alert(1)>');
  });
});
