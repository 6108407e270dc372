// The parts of a Report view that do not change with the filters: what could not be scanned, checks and
// coverage, metrics, figures, and the error box shown instead of a report that is not one. Each takes a
// report the guard (report-guard.ts) has passed and returns DOM built with `h` only: every string from
// the report is text.
import { Children, h } from './dom';
import { renderFigure } from './figures';
import type { NbsecReportV1 } from './report-types';

/** '1 target', '3 targets'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** '2026-12-07 09:49:52 UTC', or the text as it is when it is not a date. */
export function formatTime(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    return value;
  }
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** Status words become class suffixes only when they are ones we know (data never names a class). */
export function statusClass(status: string, known: readonly string[] = ['passed', 'failed', 'error', 'skipped', 'scanned']): string {
  return known.includes(status) ? status : 'other';
}

export function simpleTable(className: string, headers: string[], rows: Children[][]): HTMLTableElement {
  return h(
    'table',
    { className: `nbsec-table ${className}` },
    h('thead', null, h('tr', null, headers.map(name => h('th', { attrs: { scope: 'col' } }, name)))),
    h('tbody', null, rows.map(cells => h('tr', null, cells.map(cell => h('td', null, cell)))))
  );
}

/**
 * A table of `items` drawn `pageSize` rows at a time, with a "Show more" button below while rows are left:
 * a report may hold thousands of suppressed findings (a baseline) and only the first page is built up front.
 */
export function pagedTable<T>(
  className: string,
  headers: string[],
  items: readonly T[],
  pageSize: number,
  row: (item: T) => HTMLTableRowElement
): HTMLElement {
  const tbody = h('tbody');
  const more = h('button', { className: 'nbsec-button nbsec-more', attrs: { type: 'button' } });
  let shown = 0;
  const showMore = (): void => {
    const page = items.slice(shown, shown + pageSize);
    page.forEach(item => tbody.appendChild(row(item)));
    shown += page.length;
    const left = items.length - shown;
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(left, pageSize)} more (${left} not shown)`;
  };
  more.addEventListener('click', showMore);
  showMore();
  const head = h('thead', null, h('tr', null, headers.map(name => h('th', { attrs: { scope: 'col' } }, name))));
  return h('div', null, h('div', { className: 'nbsec-table-wrap' }, h('table', { className: `nbsec-table ${className}` }, head, tbody)), more);
}

/** What could not be scanned is not clean: an alert above the findings, or nothing without errors. */
export function renderErrors(report: NbsecReportV1): HTMLElement | null {
  const errors = report.errors;
  if (!errors.length) {
    return null;
  }
  return h(
    'section',
    { className: 'nbsec-errors', attrs: { role: 'alert' } },
    h('strong', null, `Could not scan ${plural(errors.length, 'target')}: `),
    'the findings below do not cover what is listed here.',
    h(
      'ul',
      null,
      errors.map(error =>
        h(
          'li',
          { className: 'nbsec-error' },
          h('code', { className: 'nbsec-error-target' }, error.target),
          ` (${error.scanner}): `,
          h('span', { className: 'nbsec-error-message' }, error.message),
          error.hint ? h('div', { className: 'nbsec-error-hint' }, `Hint: ${error.hint}`) : null
        )
      )
    )
  );
}

/** Every check and target in a <details>; `open` when nothing was found (what was looked at is the content). */
export function renderCoverage(report: NbsecReportV1, open: boolean): HTMLDetailsElement {
  const { checks, targets } = report;
  const statuses = new Map<string, number>();
  checks.forEach(c => statuses.set(c.status, (statuses.get(c.status) ?? 0) + 1));
  const tally = Array.from(statuses, ([status, n]) => `${n} ${status}`).join(', ') || 'none';
  const details = h(
    'details',
    { className: 'nbsec-coverage' },
    h('summary', null, `Checks and coverage: ${plural(checks.length, 'check')} (${tally}) on ${plural(targets.length, 'target')}`),
    simpleTable(
      'nbsec-checks',
      ['Scanner', 'Target', 'Status', 'Detail'],
      checks.map(c => [c.scanner, h('code', null, c.target), h('span', { className: `nbsec-status nbsec-status-${statusClass(c.status)}` }, c.status), c.detail ?? ''])
    ),
    simpleTable(
      'nbsec-targets',
      ['Target', 'Kind', 'Status', 'Detail'],
      targets.map(t => [h('code', null, t.path), t.kind, h('span', { className: `nbsec-status nbsec-status-${statusClass(t.status)}` }, t.status), t.detail ?? ''])
    )
  );
  details.open = open;
  return details;
}

export function renderMetrics(report: NbsecReportV1): HTMLElement | null {
  const metrics = report.metrics;
  if (!metrics.length) {
    return null;
  }
  return h(
    'section',
    { className: 'nbsec-metrics' },
    h('h3', { className: 'nbsec-section-title' }, 'Metrics'),
    simpleTable(
      'nbsec-metrics-table',
      ['Metric', 'Value', 'Unit', 'Labels'],
      metrics.map(m => [
        m.name,
        formatNumber(m.value),
        m.unit,
        Object.keys(m.labels)
          .sort()
          .map(k => `${k}=${m.labels[k]}`)
          .join(', ')
      ])
    )
  );
}

export function renderFigures(report: NbsecReportV1): HTMLElement | null {
  const figures = report.figures ?? [];
  if (!figures.length) {
    return null;
  }
  return h('section', { className: 'nbsec-figures' }, h('h3', { className: 'nbsec-section-title' }, 'Figures'), figures.map(f => renderFigure(f)));
}

/** The box shown instead of a report that is not one (or that could not be drawn). */
export function renderReportError(problem: string): HTMLElement {
  return h(
    'div',
    { className: 'nbsec-report-error', attrs: { role: 'alert' } },
    h('strong', null, 'This is not a readable nbsec report.'),
    h('p', null, problem)
  );
}
