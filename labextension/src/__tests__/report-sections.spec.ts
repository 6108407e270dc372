// The suppressed findings and `nbsec fix` sections of the Report view, and the guard's checks of them.
import * as fs from 'fs';
import * as path from 'path';

import { categoryLabel } from '../report-location';
import { suppressionText } from '../report-suppressed';
import { ReportView, isReport, renderReport, reportProblem } from '../report-view';
import type { Finding, Fixes, NbsecReportV1 } from '../report-types';

const SAMPLE_TEXT = fs.readFileSync(path.join(__dirname, 'fixtures', 'report-sample.json'), 'utf-8');

function sample(): NbsecReportV1 {
  return JSON.parse(SAMPLE_TEXT);
}

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    rule_id: 'NBSEC-NB-001',
    title: 'torch.load without weights_only=True',
    severity: 'high',
    confidence: 'high',
    location: { path: 'train.py', line: 3, column: 5 },
    evidence: 'torch.load("model.pt")',
    remediation: 'Pass weights_only=True.',
    references: [],
    fingerprint: 'f0',
    ...overrides
  };
}

/** What `nbsec fix . -f json` wrote for a train.py with torch.load and yaml.load (a dry run), plus a refused change. */
function fixes(overrides: Partial<Fixes> = {}): Fixes {
  return {
    mode: 'dry-run',
    summary: '1 change to 1 file planned; 2 findings fixable; 0 remain; 1 change refused',
    changes: [
      {
        path: 'train.py',
        kind: 'text',
        summary:
          'train.py: 2 calls rewritten (line 3: torch.load(...) now passes weights_only=True; line 4: yaml.load(...) is now yaml.safe_load(...))',
        rule_ids: ['NBSEC-NB-001', 'NBSEC-NB-006'],
        findings: ['f0', 'f1'],
        status: 'planned',
        diff: '--- a/train.py\n+++ b/train.py\n'
      },
      {
        path: 'models/old.pkl',
        kind: 'new-file',
        summary: 'models/old.pkl: convert to models/old.safetensors',
        rule_ids: ['NBSEC-ART-001'],
        findings: ['f2'],
        status: 'refused',
        diff: '',
        reason: 'the pickle holds objects other than tensors'
      }
    ],
    outcomes: [],
    backups: [],
    ...overrides
  };
}

function suppressedRows(node: HTMLElement): string[][] {
  return Array.from(node.querySelectorAll('details.nbsec-suppressed tbody tr'), tr => Array.from(tr.children, td => td.textContent ?? ''));
}

describe('suppressed findings', () => {
  test('are listed, collapsed, worst first, with rule, title, location and why', () => {
    const report = sample();
    const view = new ReportView(report);
    const node = view.node;
    const details = node.querySelector<HTMLDetailsElement>('details.nbsec-suppressed')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')?.textContent).toBe('Suppressed (2): 2 inline');
    const rows = suppressedRows(node);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([
      'High',
      'NBSEC-NB-002',
      'Unsafe deserialization (pickle, joblib, dill, numpy allow_pickle, pandas read_pickle)',
      'nbsec-demo/demo.ipynb, cell 13 [9], line 1, col 10',
      'inline `# nbsec: ignore` comment'
    ]);
    expect(rows[1][0]).toBe('Medium');
    expect(rows[1][1]).toBe('NBSEC-TM-018');
    // they are not findings: not in the table, not in the chips
    expect(node.querySelectorAll('tr.nbsec-finding')).toHaveLength(report.findings.length);
    const shown = view.visibleFindings().map(f => f.fingerprint);
    report.suppressed!.forEach(s => expect(shown).not.toContain(s.finding.fingerprint));
  });

  test('the reason in words, with the form that suppressed it when the report names one', () => {
    const f = finding();
    expect(suppressionText({ reason: 'inline', finding: f, detail: 'nosec B301 (bandit)' })).toBe('inline: nosec B301 (bandit)');
    expect(suppressionText({ reason: 'cell-metadata', finding: f })).toBe('cell metadata (nbsec ignore)');
    expect(suppressionText({ reason: 'config', finding: f })).toBe('rule disabled in the nbsec configuration');
    expect(suppressionText({ reason: 'baseline', finding: f, detail: 'detect-secrets baseline .secrets.baseline' })).toBe(
      'already in the baseline: detect-secrets baseline .secrets.baseline'
    );
    expect(suppressionText({ reason: 'severity-threshold', finding: f })).toBe('below the configured minimum severity');
    // a reason from a newer nbsec is shown as it is, and never looked up on Object.prototype
    expect(suppressionText({ reason: 'constructor' as never, finding: f })).toBe('constructor');
    expect(suppressionText({ reason: '__proto__' as never, finding: f, detail: 'x' })).toBe('__proto__: x');
  });

  test('the user settings do not hide them, and a report without any has no section', () => {
    const node = new ReportView(sample(), { excludedRules: ['NBSEC'], minSeverity: 'critical' }).node;
    expect(suppressedRows(node)).toHaveLength(2);

    const report = sample();
    delete report.suppressed;
    expect(new ReportView(report).node.querySelector('.nbsec-suppressed')).toBeNull();
    report.suppressed = [];
    expect(new ReportView(report).node.querySelector('.nbsec-suppressed')).toBeNull();
  });

  test('thousands of them (a baseline) are drawn a page at a time', () => {
    const report = sample();
    report.suppressed = Array.from({ length: 450 }, (_, i) => ({
      reason: 'baseline' as const,
      finding: finding({ fingerprint: `f${i}`, location: { path: `nb${i}.ipynb`, cell: 0 } })
    }));
    const node = new ReportView(report, { pageSize: 200 }).node;
    const details = node.querySelector('details.nbsec-suppressed')!;
    expect(details.querySelector('summary')?.textContent).toBe('Suppressed (450): 450 baseline');
    const more = details.querySelector<HTMLButtonElement>('.nbsec-more')!;
    expect(suppressedRows(node)).toHaveLength(200);
    expect(more.textContent).toBe('Show 200 more (250 not shown)');
    more.click();
    expect(suppressedRows(node)).toHaveLength(400);
    expect(more.textContent).toBe('Show 50 more (50 not shown)');
    more.click();
    expect(suppressedRows(node)).toHaveLength(450);
    expect(more.hidden).toBe(true);
    // the findings table's own "show more" is another button
    expect(node.querySelector<HTMLButtonElement>('.nbsec-findings-section .nbsec-more')?.hidden).toBe(true);
  });

  test('a suppressed entry that is not a finding makes the report unreadable, with its place', () => {
    const report = sample() as unknown as { suppressed: Array<Record<string, unknown>> };
    report.suppressed[1].reason = 3;
    expect(reportProblem(report)).toBe('suppressed[1].reason should be a string, is 3');
    report.suppressed[1] = { reason: 'inline', finding: { ...(report.suppressed[0].finding as Finding), severity: 'urgent' } };
    expect(reportProblem(report)).toBe('suppressed[1].finding.severity should be one of critical, high, medium, low, info, is "urgent"');
  });
});

describe('nbsec fix', () => {
  test('a dry run: its mode and summary, collapsed, and each change with path, summary, status, why not', () => {
    const report = sample();
    report.fixes = fixes();
    expect(isReport(report)).toBe(true);
    const node = new ReportView(report).node;
    const details = node.querySelector<HTMLDetailsElement>('details.nbsec-fixes')!;
    expect(details.open).toBe(false);
    expect(details.dataset.mode).toBe('dry-run');
    expect(details.querySelector('summary')?.textContent).toBe(
      'nbsec fix (dry run, nothing written yet): 1 change to 1 file planned; 2 findings fixable; 0 remain; 1 change refused'
    );
    const rows = Array.from(details.querySelectorAll('tbody tr'));
    expect(rows.map(tr => tr.querySelector('.nbsec-fix-path')?.textContent)).toEqual(['train.py', 'models/old.pkl']);
    expect(rows[0].querySelector('.nbsec-fix-summary')?.textContent).toContain('torch.load(...) now passes weights_only=True');
    expect(rows[0].querySelector('.nbsec-fix-status')?.className).toBe('nbsec-fix-status nbsec-fix-status-planned');
    expect(rows[0].querySelector('.nbsec-fix-reason')).toBeNull();
    expect(rows[1].querySelector('.nbsec-fix-status')?.textContent).toBe('refused');
    expect(rows[1].querySelector('.nbsec-fix-status')?.className).toBe('nbsec-fix-status nbsec-fix-status-refused');
    expect(rows[1].querySelector('.nbsec-fix-reason')?.textContent).toBe('Why not: the pickle holds objects other than tensors');
    // the fix section comes after the findings, before what was suppressed
    const sections = Array.from(node.children).map(el => el.className);
    expect(sections.indexOf('nbsec-fixes')).toBeGreaterThan(sections.indexOf('nbsec-findings-section'));
    expect(sections.indexOf('nbsec-fixes')).toBeLessThan(sections.indexOf('nbsec-suppressed'));
  });

  test('applied, without a summary line, and with nothing to change', () => {
    const report = sample();
    report.fixes = fixes({ mode: 'apply', summary: undefined });
    report.fixes.changes[0].status = 'applied';
    let details = new ReportView(report).node.querySelector('details.nbsec-fixes')!;
    expect(details.querySelector('summary')?.textContent).toBe('nbsec fix (applied): 2 changes');
    expect(details.querySelector('.nbsec-fix-status-applied')?.textContent).toBe('applied');

    report.fixes = fixes({ changes: [], summary: '0 changes to 0 files planned; 0 findings fixable; 0 remain' });
    details = new ReportView(report).node.querySelector('details.nbsec-fixes')!;
    expect(details.querySelector('table')).toBeNull();
    expect(details.textContent).toContain('No changes to make.');
  });

  test('a report without fixes has no section', () => {
    expect(new ReportView(sample()).node.querySelector('.nbsec-fixes')).toBeNull();
  });

  test.each<[string, (f: Record<string, unknown>) => unknown, string]>([
    ['not an object', () => [], 'fixes should be an object'],
    ['an unknown mode', f => ({ ...f, mode: 'yes' }), 'fixes.mode should be dry-run or apply, is "yes"'],
    ['a summary that is not text', f => ({ ...f, summary: 3 }), 'fixes.summary should be a string, is 3'],
    ['changes not a list', f => ({ ...f, changes: {} }), 'fixes.changes should be a list, is {}'],
    ['a change without a path', f => ({ ...f, changes: [{ summary: 's', status: 'planned' }] }), 'fixes.changes[0].path should be a string, is missing'],
    ['a reason that is not text', f => ({ ...f, changes: [{ path: 'p', summary: 's', status: 'planned', reason: {} }] }), 'fixes.changes[0].reason should be a string, is {}']
  ])('malformed fixes (%s) give the error box', (_, make, problem) => {
    const report = { ...sample(), fixes: make(fixes() as unknown as Record<string, unknown>) };
    expect(reportProblem(report)).toBe(problem);
    const node = renderReport(report);
    expect(node.classList.contains('nbsec-report-error')).toBe(true);
    expect(node.querySelector('p')?.textContent).toBe(problem);
  });
});

// -- hostile content in these sections ---------------------------------------------------------------

const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>window.__pwned=1</script>',
  '"><svg onload=alert(1)>',
  "'><iframe src=javascript:alert(1)></iframe>",
  '</td></tr><tr><td><a href="javascript:alert(1)">x</a>'
];
const ALL = PAYLOADS.join(' ');

function expectInert(node: HTMLElement): void {
  expect(node.querySelector('script, iframe, object, embed, img, style, link, meta, base, form, svg, a')).toBeNull();
  for (const el of Array.from(node.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      expect(attr.name.toLowerCase().startsWith('on')).toBe(false);
      expect(['id', 'style', 'src', 'srcdoc', 'href', 'action', 'formaction']).not.toContain(attr.name.toLowerCase());
      expect(attr.value).not.toMatch(/[<>]/); // no data in attribute values either (classes and data-* are ours)
    }
  }
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
}

describe('hostile content in suppressed findings and fixes', () => {
  test('rule, title, location, reason, detail, paths, summaries and statuses stay text', () => {
    const report = sample();
    const hostile = finding({
      rule_id: `NBSEC-NB-001${PAYLOADS[0]}`,
      title: ALL,
      location: { path: ALL, member: PAYLOADS[2], cell: 0, element: PAYLOADS[1], endpoint: PAYLOADS[3] }
    });
    report.suppressed = [
      { reason: 'inline', detail: ALL, finding: hostile },
      { reason: PAYLOADS[4] as never, detail: PAYLOADS[0], finding: hostile }
    ];
    report.fixes = fixes({
      summary: ALL,
      changes: [
        { ...fixes().changes[0], path: ALL, summary: ALL, status: PAYLOADS[1] as never, reason: ALL },
        { ...fixes().changes[1], path: PAYLOADS[3], summary: PAYLOADS[4] }
      ]
    });
    expect(isReport(report)).toBe(true);
    report.findings = []; // only these sections (and the empty state) are drawn
    report.errors = [];
    report.checks = [];
    report.targets = [];
    report.metrics = [];
    report.figures = [];
    const view = new ReportView(report);
    document.body.appendChild(view.node);
    view.node.querySelectorAll('details').forEach(d => (d.open = true));
    const suppressed = view.node.querySelector('details.nbsec-suppressed')!;
    const fixSection = view.node.querySelector('details.nbsec-fixes')!;
    expectInert(suppressed as HTMLElement);
    expectInert(fixSection as HTMLElement);

    const rows = suppressedRows(view.node);
    expect(rows).toHaveLength(2);
    expect(rows[0][1]).toBe(`NBSEC-NB-001${PAYLOADS[0]}`);
    expect(rows[0][2]).toBe(ALL);
    expect(rows[0][3]).toBe(`${ALL}!${PAYLOADS[2]}, cell 1, element ${PAYLOADS[1]}, endpoint ${PAYLOADS[3]}`);
    expect(rows.map(r => r[4]).sort()).toEqual([`${PAYLOADS[4]}: ${PAYLOADS[0]}`, `inline: ${ALL}`].sort());
    expect(suppressed.querySelector('summary')?.textContent).toContain(PAYLOADS[4]);

    expect(fixSection.querySelector('summary')?.textContent).toBe(`nbsec fix (dry run, nothing written yet): ${ALL}`);
    const changes = Array.from(fixSection.querySelectorAll('tbody tr'));
    expect(changes).toHaveLength(2); // a payload closing </tr> did not add rows
    expect(changes[0].querySelector('.nbsec-fix-path')?.textContent).toBe(ALL);
    expect(changes[0].querySelector('.nbsec-fix-summary')?.textContent).toBe(ALL);
    expect(changes[0].querySelector('.nbsec-fix-reason')?.textContent).toBe(`Why not: ${ALL}`);
    // a status nbsec does not know is shown as text and never becomes a class name
    expect(changes[0].querySelector('.nbsec-fix-status')?.textContent).toBe(PAYLOADS[1]);
    expect(changes[0].querySelector('.nbsec-fix-status')?.className).toBe('nbsec-fix-status nbsec-fix-status-other');
    expect(changes[1].querySelector('.nbsec-fix-summary')?.textContent).toBe(PAYLOADS[4]);
    document.body.removeChild(view.node);
  });
});

describe('rule categories', () => {
  test('a rule id naming an Object.prototype member is its own category, not a function', () => {
    expect(categoryLabel('constructor')).toBe('constructor');
    expect(categoryLabel('__proto__')).toBe('__proto__');
    expect(categoryLabel('toString')).toBe('toString');
    expect(categoryLabel('NB')).toBe('Notebooks and code');
    const report = sample();
    report.findings = [finding({ rule_id: 'NBSEC-constructor-001' })];
    const select = new ReportView(report).node.querySelector<HTMLSelectElement>('.nbsec-category-select')!;
    expect(Array.from(select.options, o => o.textContent)).toEqual(['All categories', 'constructor (1)']);
  });
});
