// The side panel's model over a real Report: `nbsec scan -f json` of a notebook with a finding in
// each place a notebook can hold one (code, markdown, a printed output, a cell's metadata, the
// notebook's metadata). Cell ids: md-1, code-1, out-1, meta-1.
import { CellRef, PanelItem, PanelModel, changedSinceScan, matchCell, sourceLine } from '../panel-model';
import { Finding, NbsecReportV1 } from '../report-types';
import sample from './fixtures/panel-report.json';

const REPORT = sample as unknown as NbsecReportV1;

const CELLS: CellRef[] = [
  { id: 'md-1', index: 0, type: 'markdown' },
  { id: 'code-1', index: 1, type: 'code' },
  { id: 'out-1', index: 2, type: 'code' },
  { id: 'meta-1', index: 3, type: 'code' }
];

function cellsInOrder(...ids: string[]): CellRef[] {
  return ids.map((id, index) => ({ id, index, type: id.startsWith('md') ? 'markdown' : 'code' }));
}

function model(report: NbsecReportV1 | null = REPORT, cells: CellRef[] = CELLS): PanelModel {
  const m = new PanelModel({ minSeverity: 'info', excludedRules: [] });
  m.setReport(report, cells);
  return m;
}

function items(m: PanelModel): PanelItem[] {
  return m.groups().flatMap(group => group.items);
}

function byRule(m: PanelModel, rule: string, element?: string): PanelItem[] {
  return items(m).filter(
    i => i.finding.rule_id === rule && (element === undefined || i.finding.location.element === element)
  );
}

function finding(overrides: Partial<Finding> & { location: Finding['location'] }): Finding {
  return {
    rule_id: 'NBSEC-NB-002',
    title: 'pickle',
    severity: 'high',
    confidence: 'high',
    evidence: '',
    remediation: '',
    references: [],
    fingerprint: 'fp',
    ...overrides
  };
}

function reportOf(findings: Finding[]): NbsecReportV1 {
  return { ...REPORT, findings, errors: [] };
}

describe('grouping', () => {
  test('groups are worst first and leave out severities without findings', () => {
    const critical = finding({
      rule_id: 'NBSEC-NB-005',
      severity: 'critical',
      location: { path: 'demo.ipynb', cell: 2, cell_id: 'out-1', line: 1 }
    });
    const m = model(reportOf([...REPORT.findings, critical]));
    expect(m.groups().map(g => g.severity)).toEqual(['critical', 'high', 'medium']);
    expect(m.groups().map(g => g.items.length)).toEqual([1, 6, 1]);
    expect(m.count()).toBe(8);
  });

  test('within a group, findings are in notebook order and the ones outside cells come last', () => {
    const high = model().groups()[0].items;
    expect(high.map(i => i.cellIndex)).toEqual([0, 1, 2, 3, 3, null]);
    // In one cell, the source comes before the cell's metadata (which has no source line).
    expect(high[3].line).toBe(2);
    expect(high[4].finding.location.element).toBe('cell metadata');
  });

  test('keys are unique, also for two findings with one fingerprint, and survive a settings change', () => {
    const twice = finding({ location: { path: 'demo.ipynb', cell: 2, cell_id: 'out-1', output: 0, line: 1 } });
    const m = model(reportOf([twice, { ...twice }]));
    const keys = items(m).map(i => i.key);
    expect(new Set(keys).size).toBe(2);
    m.setSettings({ minSeverity: 'low', excludedRules: [] });
    expect(items(m).map(i => i.key)).toEqual(keys);
    expect(m.item(keys[1])?.finding).toBe(m.allItems()[1].finding);
  });
});

describe('where each finding is', () => {
  const m = model();

  test('a code finding: its cell and its line in the source', () => {
    const [pickle] = byRule(m, 'NBSEC-NB-002');
    expect(pickle).toMatchObject({ cellIndex: 1, line: 2, output: null });
  });

  test('a secret in markdown and in code source keeps its line', () => {
    const sources = byRule(m, 'NBSEC-NB-010').filter(i => i.finding.location.element === undefined);
    expect(sources.map(i => [i.cellIndex, i.line])).toEqual([
      [0, 2],
      [3, 2]
    ]);
  });

  test('a secret in an output: the output, and no source line (its line counts the output text)', () => {
    const [printed] = byRule(m, 'NBSEC-NB-011');
    expect(printed.finding.location.line).toBe(2);
    expect(printed).toMatchObject({ cellIndex: 2, output: 0, line: null });
  });

  test("a secret in a cell's metadata is in the cell, on no source line", () => {
    const [meta] = byRule(m, 'NBSEC-NB-010', 'cell metadata');
    expect(meta).toMatchObject({ cellIndex: 3, line: null, output: null });
  });

  test("the notebook's metadata is in no cell", () => {
    const [notebook] = byRule(m, 'NBSEC-NB-010', 'notebook metadata');
    expect(notebook).toMatchObject({ cellIndex: null, line: null, output: null });
  });

  test('sourceLine reads only source locations', () => {
    expect(sourceLine({ path: 'a', line: 3 })).toBe(3);
    expect(sourceLine({ path: 'a', line: 3, output: 1 })).toBeNull();
    expect(sourceLine({ path: 'a', line: 1, element: 'attachment a.txt' })).toBeNull();
    expect(sourceLine({ path: 'a' })).toBeNull();
  });
});

describe('settings', () => {
  test('the minimum severity hides and counts the findings below it', () => {
    const m = model();
    m.setSettings({ minSeverity: 'high', excludedRules: [] });
    expect(m.groups().map(g => g.severity)).toEqual(['high']);
    expect(m.count()).toBe(6);
    expect(m.hiddenBySettings()).toBe(1);
  });

  test('excluded rules are hidden whatever their case, and counted', () => {
    const m = model();
    m.setSettings({ minSeverity: 'info', excludedRules: [' nbsec-nb-010'] });
    expect(items(m).some(i => i.finding.rule_id === 'NBSEC-NB-010')).toBe(false);
    expect(m.count()).toBe(3);
    expect(m.hiddenBySettings()).toBe(4);
  });

  test('a prefix or a glob excludes a family of rules, as the settings editor says', () => {
    const m = model();
    const all = items(m);
    m.setSettings({ minSeverity: 'info', excludedRules: ['nbsec-nb'] });
    expect(items(m).filter(i => i.finding.rule_id.startsWith('NBSEC-NB-'))).toEqual([]);
    expect(m.count() + m.hiddenBySettings()).toBe(all.length);
    m.setSettings({ minSeverity: 'info', excludedRules: ['NBSEC-*-010'] });
    expect(items(m).some(i => i.finding.rule_id === 'NBSEC-NB-010')).toBe(false);
    expect(items(m).some(i => i.finding.rule_id !== 'NBSEC-NB-010')).toBe(true);
  });

  test('the settings object passed in can change later without changing the model', () => {
    const settings = { minSeverity: 'info' as const, excludedRules: [] as string[] };
    const m = new PanelModel(settings);
    m.setReport(REPORT, CELLS);
    settings.excludedRules.push('NBSEC-NB-010');
    expect(m.count()).toBe(7);
  });
});

describe('cell markers', () => {
  test('each cell gets its worst shown severity', () => {
    const m = model();
    expect([...m.cellSeverities().entries()].sort()).toEqual([
      [0, 'high'],
      [1, 'high'],
      [2, 'high'],
      [3, 'high']
    ]);
    m.setSettings({ minSeverity: 'info', excludedRules: ['NBSEC-NB-002'] });
    expect(m.cellSeverities().get(1)).toBe('medium'); // the torch.load finding is left
  });

  test('hidden findings mark nothing', () => {
    const m = model();
    m.setSettings({ minSeverity: 'critical', excludedRules: [] });
    expect(m.cellSeverities().size).toBe(0);
  });
});

describe('cells changed since the scan', () => {
  test('after reordering, findings follow their cells by id', () => {
    const moved = cellsInOrder('code-1', 'md-1', 'meta-1', 'out-1');
    const m = model(REPORT, moved);
    expect(byRule(m, 'NBSEC-NB-002')[0].cellIndex).toBe(0);
    expect(byRule(m, 'NBSEC-NB-011')[0].cellIndex).toBe(3);
    expect(m.cellSeverities().get(0)).toBe('high');
    expect(m.changedSinceScan()).toBe(true);
    expect(model().changedSinceScan()).toBe(false);
  });

  test('setCells re-matches without a new report', () => {
    const m = model();
    m.setCells(cellsInOrder('new-cell', 'md-1', 'code-1', 'out-1', 'meta-1'));
    expect(byRule(m, 'NBSEC-NB-002')[0]).toMatchObject({ cellIndex: 2, line: 2 });
  });

  test("a deleted cell's findings are in no cell, not in the cell that took its index", () => {
    const m = model(REPORT, cellsInOrder('md-1', 'out-1', 'meta-1'));
    expect(byRule(m, 'NBSEC-NB-002')[0]).toMatchObject({ cellIndex: null, line: null });
    expect(m.cellSeverities().has(1)).toBe(true); // out-1 now, for its own finding
    expect(changedSinceScan(REPORT, cellsInOrder('md-1', 'out-1', 'meta-1'))).toBe(true);
  });

  test('without cell ids (nbformat 4.4) the scanned index is used when it is in range', () => {
    const noIds = { path: 'a.ipynb', cell: 1, line: 1 };
    expect(matchCell(noIds, CELLS)).toBe(1);
    expect(matchCell({ ...noIds, cell: 4 }, CELLS)).toBeNull();
  });

  test('when none of the notebook ids are the report ids, the index is the only clue left', () => {
    const fresh = cellsInOrder('a', 'b', 'c', 'd');
    const m = model(REPORT, fresh);
    expect(byRule(m, 'NBSEC-NB-002')[0].cellIndex).toBe(1);
  });
});

describe('the report', () => {
  test('errors come from the report; no report shows nothing', () => {
    const error = {
      scanner: 'notebook-code',
      target: 'demo.ipynb',
      message: 'cell 2, line 1: invalid Python',
      hint: 'fix it'
    };
    const m = model({ ...REPORT, errors: [error] });
    expect(m.errors()).toEqual([error]);
    m.setReport(null, CELLS);
    expect(m.hasReport()).toBe(false);
    expect(m.groups()).toEqual([]);
    expect(m.count()).toBe(0);
    expect(m.hiddenBySettings()).toBe(0);
    expect(m.errors()).toEqual([]);
  });

  test('suppressed findings are counted, not shown', () => {
    const suppressed = [{ reason: 'inline' as const, finding: REPORT.findings[0] }];
    const m = model({ ...REPORT, suppressed });
    expect(m.suppressedCount()).toBe(1);
    expect(m.count()).toBe(REPORT.findings.length);
  });
});
