// The Report renderer: an nbsec Report (report.v1.json) as a filterable, sortable findings table with
// what was scanned, what could not be, what was suppressed, what `nbsec fix` did, checks, metrics and
// figures. Pure DOM, no framework: the lead wraps `node` in a Lumino widget, a MIME renderer or a panel.
//
// A report describes hostile files, so every string in it is text: this module and the ones it draws
// with, build the DOM with `h`/`link` only (no innerHTML anywhere), and data never names an attribute or
// an element id. Data from a kernel or server is `unknown` until `reportProblem` (report-guard.ts) has
// checked its shape.
//
// This module keeps the interactive part: header chips, filter bar, sortable table, detail rows. The rest:
// report-guard.ts (the shape guard), report-location.ts (locations, rule categories, excluded rules),
// report-finding.ts (a finding's cells and detail), report-sections.ts (errors, coverage, metrics,
// figures, the error box), report-suppressed.ts and report-fixes.ts.
import { Children, clear, h } from './dom';
import { findingDetail, locationCell, severityCell } from './report-finding';
import { renderFixes } from './report-fixes';
import { reportProblem } from './report-guard';
import { categoryLabel, compareLocation, compareText, describeLocation, ruleCategory, ruleExcluded } from './report-location';
import { formatTime, plural, renderCoverage, renderErrors, renderFigures, renderMetrics, renderReportError } from './report-sections';
import { renderSuppressed } from './report-suppressed';
import type { Finding, Location, NbsecReportV1, Severity } from './report-types';
import { SEVERITIES, atLeast, confidenceRank, isSeverity, severityRank } from './severity';

// The API importers had when all of this lived here.
export { isReport, reportProblem } from './report-guard';
export { CATEGORY_NAMES, categoryLabel, describeLocation, locationParts, ruleCategory, ruleExcluded } from './report-location';
export { renderReportError } from './report-sections';

export interface FindingFilter {
  /** Severities shown; all five by default. */
  severities: Set<Severity>;
  /** A rule-id namespace ('NB', 'ART', ...) or '' for all. */
  category: string;
  /** A rule id or '' for all. */
  rule: string;
  /** Case-insensitive substring of title, rule id, location or evidence; '' for all. */
  text: string;
}

export type SortKey = 'severity' | 'rule' | 'title' | 'location' | 'confidence';
export type SortDirection = 'asc' | 'desc';

export interface ReportViewOptions {
  /** From the user's settings: findings below it are not shown (and counted as hidden). */
  minSeverity?: Severity;
  /** From the user's settings: rule ids, prefixes (NBSEC-TM) or globs (NBSEC-NB-00*), as `--exclude-rule`. */
  excludedRules?: string[];
  /** Called by a finding's "Open" button; no button without it. */
  onOpenLocation?: (location: Location) => void;
  /** Rows rendered at first and per "Show more" (default PAGE_SIZE). */
  pageSize?: number;
}

export const PAGE_SIZE = 200;

interface Row {
  finding: Finding;
  /** Position in report.findings: the key of its expanded state. */
  index: number;
  category: string;
  /** Lower-cased title, rule id, location and evidence: what the text filter searches. */
  haystack: string;
}

const DEFAULT_DIRECTION: Record<SortKey, SortDirection> = {
  severity: 'desc',
  confidence: 'desc',
  rule: 'asc',
  title: 'asc',
  location: 'asc'
};

const COLUMNS: ReadonlyArray<[SortKey, string]> = [
  ['severity', 'Severity'],
  ['rule', 'Rule'],
  ['title', 'Finding'],
  ['location', 'Location'],
  ['confidence', 'Confidence']
];

export class ReportView {
  readonly node: HTMLElement;
  private readonly report: NbsecReportV1;
  private readonly options: ReportViewOptions;
  private readonly pageSize: number;
  /** The findings the user's settings let through, in report order. */
  private readonly rows: Row[];
  private readonly hiddenBySettings: number;
  private current: FindingFilter;
  private sortKey: SortKey = 'severity';
  private sortDirection: SortDirection = 'desc';
  private limit: number;
  private readonly expanded = new Set<number>();

  private readonly chips = new Map<Severity, HTMLButtonElement>();
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private readonly categorySelect: HTMLSelectElement;
  private readonly ruleSelect: HTMLSelectElement;
  private readonly searchInput: HTMLInputElement;
  private readonly shownLabel: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly moreButton: HTMLButtonElement;
  private readonly noMatch: HTMLElement;

  constructor(report: NbsecReportV1, options: ReportViewOptions = {}) {
    this.report = report;
    // Settings are user-edited: an unknown minimum severity is ignored rather than hiding everything.
    this.options = { ...options, minSeverity: isSeverity(options.minSeverity) ? options.minSeverity : undefined };
    options = this.options;
    this.pageSize = options.pageSize && options.pageSize > 0 ? Math.floor(options.pageSize) : PAGE_SIZE;
    this.limit = this.pageSize;
    const excluded = Array.isArray(options.excludedRules) ? options.excludedRules : [];
    this.rows = [];
    report.findings.forEach((finding, index) => {
      if (options.minSeverity && !atLeast(finding.severity, options.minSeverity)) {
        return;
      }
      if (excluded.length && ruleExcluded(finding.rule_id, excluded)) {
        return;
      }
      const haystack = [finding.title, finding.rule_id, describeLocation(finding.location), finding.evidence].join('\n').toLowerCase();
      this.rows.push({ finding, index, category: ruleCategory(finding.rule_id), haystack });
    });
    this.hiddenBySettings = report.findings.length - this.rows.length;
    this.current = { severities: new Set(SEVERITIES), category: '', rule: '', text: '' };

    this.categorySelect = this.buildCategorySelect();
    this.ruleSelect = this.buildRuleSelect();
    this.searchInput = h('input', {
      className: 'nbsec-search',
      attrs: { type: 'search', placeholder: 'Filter: title, rule, path, evidence', 'aria-label': 'Filter findings by text' }
    });
    this.searchInput.addEventListener('input', () => this.setFilter({ text: this.searchInput.value }));
    this.shownLabel = h('span', { className: 'nbsec-shown', attrs: { 'aria-live': 'polite' } });
    this.tbody = h('tbody');
    this.table = this.buildTable();
    this.moreButton = h('button', { className: 'nbsec-button nbsec-more', attrs: { type: 'button' } });
    this.moreButton.addEventListener('click', () => {
      this.limit += this.pageSize;
      this.renderRows();
    });
    const clearButton = h('button', { className: 'nbsec-button nbsec-link-button', attrs: { type: 'button' } }, 'Clear filters');
    clearButton.addEventListener('click', () => this.clearFilters());
    this.noMatch = h('p', { className: 'nbsec-empty' }, 'No findings match the filters. ', clearButton);

    this.node = h(
      'div',
      { className: 'nbsec-report' },
      this.renderHeader(),
      renderErrors(report),
      this.rows.length ? this.renderFindings() : this.renderEmpty(),
      renderFixes(report, this.pageSize),
      renderSuppressed(report, this.pageSize),
      // With nothing found, what was looked at is the content: open it.
      renderCoverage(report, this.rows.length === 0),
      renderMetrics(report),
      renderFigures(report)
    );
    this.renderRows();
  }

  /** A copy of the current filter (change it with setFilter). */
  get filter(): FindingFilter {
    return { ...this.current, severities: new Set(this.current.severities) };
  }

  setFilter(filter: Partial<FindingFilter>): void {
    const next = { ...this.current };
    if (filter.severities !== undefined) {
      next.severities = new Set(Array.from(filter.severities).filter(s => SEVERITIES.includes(s)));
    }
    if (filter.category !== undefined) {
      next.category = filter.category;
    }
    if (filter.rule !== undefined) {
      next.rule = filter.rule;
    }
    if (filter.text !== undefined) {
      next.text = filter.text;
    }
    this.current = next;
    this.limit = this.pageSize; // a new filter starts at the first page again
    this.syncControls();
    this.renderRows();
  }

  /** Sorts the table; `direction` defaults to the key's natural one (worst / surest / A-Z first). */
  setSort(key: SortKey, direction?: SortDirection): void {
    if (!DEFAULT_DIRECTION[key]) {
      return;
    }
    this.sortKey = key;
    this.sortDirection = direction ?? DEFAULT_DIRECTION[key];
    this.syncControls();
    this.renderRows();
  }

  get sort(): { key: SortKey; direction: SortDirection } {
    return { key: this.sortKey, direction: this.sortDirection };
  }

  /** Every finding the settings and the filter let through, in table order (not only the rendered page). */
  visibleFindings(): Finding[] {
    return this.visibleRows().map(row => row.finding);
  }

  private visibleRows(): Row[] {
    const { severities, category, rule } = this.current;
    const text = this.current.text.trim().toLowerCase();
    const rows = this.rows.filter(
      row =>
        severities.has(row.finding.severity) &&
        (!category || row.category === category) &&
        (!rule || row.finding.rule_id === rule) &&
        (!text || row.haystack.includes(text))
    );
    return rows.sort((a, b) => this.compare(a, b));
  }

  private compare(a: Row, b: Row): number {
    const fa = a.finding;
    const fb = b.finding;
    let primary = 0;
    switch (this.sortKey) {
      case 'severity':
        primary = severityRank(fa.severity) - severityRank(fb.severity);
        break;
      case 'confidence':
        primary = confidenceRank(fa.confidence) - confidenceRank(fb.confidence);
        break;
      case 'rule':
        primary = compareText(fa.rule_id, fb.rule_id);
        break;
      case 'title':
        primary = compareText(fa.title.toLowerCase(), fb.title.toLowerCase());
        break;
      case 'location':
        primary = compareLocation(fa.location, fb.location);
        break;
    }
    if (this.sortDirection === 'desc') {
      primary = -primary;
    }
    // Ties: worst first, then by place, then report order, so the order never depends on the sort algorithm.
    return (
      primary ||
      severityRank(fb.severity) - severityRank(fa.severity) ||
      compareLocation(fa.location, fb.location) ||
      compareText(fa.rule_id, fb.rule_id) ||
      a.index - b.index
    );
  }

  private clearFilters(): void {
    this.searchInput.value = '';
    this.setFilter({ severities: new Set(SEVERITIES), category: '', rule: '', text: '' });
  }

  // -- header ------------------------------------------------------------------------------------------

  private renderHeader(): HTMLElement {
    const report = this.report;
    const scanned = report.targets.filter(t => t.status === 'scanned').length;
    const skipped = report.targets.filter(t => t.status === 'skipped').length;
    const failed = report.targets.filter(t => t.status === 'error').length;
    const tally = [`${scanned} scanned`, skipped ? `${skipped} skipped` : '', failed ? `${failed} not scanned` : ''].filter(Boolean).join(', ');
    const facts = [`${report.tool.name || 'nbsec'} ${report.tool.version}`, `${plural(report.targets.length, 'target')} (${tally})`];
    if (report.started_at) {
      facts.push(`scanned ${formatTime(report.started_at)}`);
    }
    const seconds = this.duration();
    if (seconds !== null) {
      facts.push(`${seconds.toFixed(2)} s`);
    }

    const counts = new Map<Severity, number>(SEVERITIES.map(s => [s, 0]));
    for (const row of this.rows) {
      counts.set(row.finding.severity, (counts.get(row.finding.severity) ?? 0) + 1);
    }
    const chips = h('div', { className: 'nbsec-chips', attrs: { role: 'group', 'aria-label': 'Show findings by severity' } });
    for (const severity of SEVERITIES) {
      if (this.options.minSeverity && !atLeast(severity, this.options.minSeverity)) {
        continue; // the settings hide these: a chip would only ever show 0
      }
      const count = counts.get(severity) ?? 0;
      const chip = h(
        'button',
        {
          className: `nbsec-chip nbsec-sev-${severity}${count ? '' : ' nbsec-chip-empty'}`,
          title: `Show or hide ${severity} findings`,
          dataset: { severity },
          attrs: { type: 'button', 'aria-pressed': 'true' }
        },
        h('span', { className: 'nbsec-chip-count' }, String(count)),
        ` ${severity}`
      );
      chip.addEventListener('click', () => this.toggleSeverity(severity));
      this.chips.set(severity, chip);
      chips.appendChild(chip);
    }

    const notes: Children[] = [];
    const suppressed = report.suppressed ?? [];
    if (suppressed.length) {
      const reasons = new Map<string, number>();
      suppressed.forEach(s => reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1));
      const why = Array.from(reasons, ([reason, n]) => `${n} ${reason}`).join(', ');
      notes.push(h('span', { className: 'nbsec-note nbsec-suppressed-count' }, `${suppressed.length} suppressed (${why})`));
    }
    if (report.baseline) {
      const b = report.baseline;
      notes.push(h('span', { className: 'nbsec-note nbsec-baseline' }, `Baseline: ${b.new} new, ${b.fixed} fixed, ${b.unchanged} unchanged`, h('span', { className: 'nbsec-muted' }, ` (${b.path})`)));
    }
    if (this.hiddenBySettings) {
      notes.push(h('span', { className: 'nbsec-note nbsec-hidden-by-settings' }, `${plural(this.hiddenBySettings, 'finding')} hidden by your settings${this.settingsText()}`));
    }
    return h(
      'header',
      { className: 'nbsec-report-header' },
      h('p', { className: 'nbsec-report-meta' }, facts.join(' · ')),
      chips,
      notes.length ? h('p', { className: 'nbsec-report-notes' }, notes) : null
    );
  }

  private settingsText(): string {
    const why: string[] = [];
    if (this.options.minSeverity) {
      why.push(`below ${this.options.minSeverity}`);
    }
    const excluded = (this.options.excludedRules ?? []).filter(r => typeof r === 'string' && r.trim());
    if (excluded.length) {
      why.push(`rules excluded: ${excluded.join(', ')}`);
    }
    return why.length ? ` (${why.join('; ')})` : '';
  }

  private duration(): number | null {
    const total = this.report.timings.total;
    if (typeof total === 'number' && Number.isFinite(total)) {
      return total;
    }
    const started = Date.parse(this.report.started_at);
    const finished = Date.parse(this.report.finished_at);
    return Number.isNaN(started) || Number.isNaN(finished) || finished < started ? null : (finished - started) / 1000;
  }

  private toggleSeverity(severity: Severity): void {
    const severities = new Set(this.current.severities);
    if (severities.has(severity)) {
      severities.delete(severity);
    } else {
      severities.add(severity);
    }
    this.setFilter({ severities });
  }

  // -- filter bar and table -----------------------------------------------------------------------------

  private buildCategorySelect(): HTMLSelectElement {
    const counts = new Map<string, number>();
    this.rows.forEach(row => counts.set(row.category, (counts.get(row.category) ?? 0) + 1));
    const select = h('select', { className: 'nbsec-select nbsec-category-select' }, h('option', { attrs: { value: '' } }, 'All categories'));
    for (const [category, n] of Array.from(counts).sort((a, b) => compareText(categoryLabel(a[0]), categoryLabel(b[0])))) {
      const option = h('option', null, `${categoryLabel(category)} (${n})`);
      option.value = category;
      select.appendChild(option);
    }
    select.addEventListener('change', () => this.setFilter({ category: select.value }));
    return select;
  }

  private buildRuleSelect(): HTMLSelectElement {
    const counts = new Map<string, number>();
    this.rows.forEach(row => counts.set(row.finding.rule_id, (counts.get(row.finding.rule_id) ?? 0) + 1));
    const select = h('select', { className: 'nbsec-select nbsec-rule-select' }, h('option', { attrs: { value: '' } }, 'All rules'));
    for (const [rule, n] of Array.from(counts).sort((a, b) => compareText(a[0], b[0]))) {
      const option = h('option', null, `${rule} (${n})`);
      option.value = rule;
      select.appendChild(option);
    }
    select.addEventListener('change', () => this.setFilter({ rule: select.value }));
    return select;
  }

  private buildTable(): HTMLTableElement {
    const headRow = h('tr');
    for (const [key, label] of COLUMNS) {
      const button = h('button', { className: 'nbsec-sort', title: `Sort by ${label.toLowerCase()}`, attrs: { type: 'button' } }, label);
      button.addEventListener('click', () => {
        const same = this.sortKey === key;
        this.setSort(key, same ? (this.sortDirection === 'asc' ? 'desc' : 'asc') : DEFAULT_DIRECTION[key]);
      });
      const th = h('th', { className: `nbsec-col-${key}`, dataset: { sortKey: key }, attrs: { scope: 'col', 'aria-sort': 'none' } }, button);
      this.headers.set(key, th);
      headRow.appendChild(th);
    }
    const table = h('table', { className: 'nbsec-findings' }, h('thead', null, headRow), this.tbody);
    // One listener for every row: rows come and go with filters and pages.
    this.tbody.addEventListener('click', event => {
      const row = (event.target as Element | null)?.closest?.('tr.nbsec-finding');
      if (row instanceof HTMLTableRowElement) {
        this.toggleRow(row);
      }
    });
    this.tbody.addEventListener('keydown', event => {
      const target = event.target as Element | null;
      if ((event.key === 'Enter' || event.key === ' ') && target instanceof HTMLTableRowElement && target.classList.contains('nbsec-finding')) {
        event.preventDefault();
        this.toggleRow(target);
      }
    });
    return table;
  }

  private renderFindings(): HTMLElement {
    const bar = h(
      'div',
      { className: 'nbsec-filter-bar', attrs: { role: 'search', 'aria-label': 'Filter findings' } },
      h('label', { className: 'nbsec-filter' }, 'Category ', this.categorySelect),
      h('label', { className: 'nbsec-filter' }, 'Rule ', this.ruleSelect),
      this.searchInput,
      this.shownLabel
    );
    return h(
      'section',
      { className: 'nbsec-findings-section' },
      h('h3', { className: 'nbsec-section-title' }, `Findings (${this.rows.length})`),
      bar,
      h('div', { className: 'nbsec-table-wrap' }, this.table),
      this.noMatch,
      this.moreButton
    );
  }

  /** No findings (after settings): say so, and what was looked at, and whether something was not. */
  private renderEmpty(): HTMLElement {
    const report = this.report;
    const scanners = Array.from(new Set(report.checks.map(c => c.scanner))).sort();
    const by = scanners.length ? ` by ${scanners.join(', ')}` : '';
    const errors = report.errors.length;
    return h(
      'section',
      { className: 'nbsec-findings-section nbsec-findings-empty' },
      h('p', { className: errors ? 'nbsec-empty' : 'nbsec-empty nbsec-clean' }, errors ? 'No findings, but the scan is incomplete' : 'No findings'),
      h(
        'p',
        { className: 'nbsec-muted' },
        `${plural(report.checks.length, 'check')} on ${plural(report.targets.length, 'target')}${by}.`,
        errors ? ` ${plural(errors, 'target')} could not be scanned (above).` : '',
        this.hiddenBySettings ? ` ${plural(this.hiddenBySettings, 'finding')} hidden by your settings.` : ''
      )
    );
  }

  private syncControls(): void {
    for (const [severity, chip] of this.chips) {
      chip.setAttribute('aria-pressed', String(this.current.severities.has(severity)));
    }
    this.categorySelect.value = this.current.category;
    this.ruleSelect.value = this.current.rule;
    if (this.searchInput.value !== this.current.text) {
      this.searchInput.value = this.current.text;
    }
    for (const [key, th] of this.headers) {
      const sorted = key === this.sortKey ? (this.sortDirection === 'asc' ? 'ascending' : 'descending') : 'none';
      th.setAttribute('aria-sort', sorted);
    }
  }

  /** Rebuilds the table body: the first `limit` visible rows, expanded ones with their detail. */
  private renderRows(): void {
    if (!this.rows.length) {
      return;
    }
    const visible = this.visibleRows();
    const page = visible.slice(0, this.limit);
    const fragment = document.createDocumentFragment();
    for (const row of page) {
      const expanded = this.expanded.has(row.index);
      fragment.appendChild(this.findingRow(row, expanded));
      if (expanded) {
        fragment.appendChild(this.detailRow(row.finding));
      }
    }
    clear(this.tbody);
    this.tbody.appendChild(fragment);
    this.table.hidden = visible.length === 0;
    this.noMatch.hidden = visible.length > 0;
    const left = visible.length - page.length;
    this.moreButton.hidden = left <= 0;
    this.moreButton.textContent = `Show ${Math.min(left, this.pageSize)} more (${left} not shown)`;
    this.shownLabel.textContent = `${visible.length} of ${this.rows.length} shown`;
  }

  private findingRow(row: Row, expanded: boolean): HTMLTableRowElement {
    const f = row.finding;
    return h(
      'tr',
      {
        className: 'nbsec-finding',
        dataset: { severity: f.severity, index: String(row.index) },
        attrs: { tabindex: 0, 'aria-expanded': String(expanded) }
      },
      severityCell(f.severity),
      h('td', { className: 'nbsec-col-rule', title: categoryLabel(row.category) }, h('code', null, f.rule_id)),
      h('td', { className: 'nbsec-col-title' }, f.title),
      locationCell(f.location),
      h('td', { className: 'nbsec-col-confidence' }, f.confidence)
    );
  }

  private toggleRow(tr: HTMLTableRowElement): void {
    const index = Number(tr.dataset.index);
    const row = this.rows.find(r => r.index === index);
    if (!row) {
      return;
    }
    if (this.expanded.has(index)) {
      this.expanded.delete(index);
      const next = tr.nextElementSibling;
      if (next?.classList.contains('nbsec-finding-detail')) {
        next.remove();
      }
      tr.setAttribute('aria-expanded', 'false');
    } else {
      this.expanded.add(index);
      tr.after(this.detailRow(row.finding));
      tr.setAttribute('aria-expanded', 'true');
    }
  }

  private detailRow(f: Finding): HTMLTableRowElement {
    return h('tr', { className: 'nbsec-finding-detail' }, h('td', { attrs: { colspan: COLUMNS.length } }, findingDetail(f, this.options.onOpenLocation)));
  }
}

/** The report view of `data`, or an error box when `data` is not a Report v1; never throws. */
export function renderReport(data: unknown, options?: ReportViewOptions): HTMLElement {
  const problem = reportProblem(data);
  if (problem !== null) {
    return renderReportError(problem);
  }
  try {
    return new ReportView(data as NbsecReportV1, options).node;
  } catch (error) {
    return renderReportError(`It could not be drawn: ${error instanceof Error ? error.message : String(error)}`);
  }
}
