// What `nbsec fix` planned or did, when the report comes from it: its mode, its summary line and each
// change (file, what it does, its status, and why not when it was refused). Collapsed: the findings stay
// the content. Paths, summaries and reasons come from scanned files and the fixer: text only. Diffs are
// left to the HTML report and `%aisec fix`, which show them with their Apply step.
import { h } from './dom';
import { pagedTable, plural, statusClass } from './report-sections';
import type { FixChange, NbsecReportV1 } from './report-types';

const MODE_LABELS: Readonly<Record<string, string>> = {
  'dry-run': 'dry run, nothing written yet',
  apply: 'applied'
};

const CHANGE_STATUSES = ['planned', 'applied', 'refused', 'failed'];

type ChangeShown = Pick<FixChange, 'path' | 'summary' | 'status' | 'reason'>;

function changeRow(change: ChangeShown): HTMLTableRowElement {
  return h(
    'tr',
    { className: 'nbsec-fix-change' },
    h('td', null, h('span', { className: `nbsec-fix-status nbsec-fix-status-${statusClass(change.status, CHANGE_STATUSES)}` }, change.status)),
    h('td', null, h('code', { className: 'nbsec-fix-path' }, change.path)),
    h(
      'td',
      null,
      h('span', { className: 'nbsec-fix-summary' }, change.summary),
      change.reason ? h('div', { className: 'nbsec-fix-reason' }, `Why not: ${change.reason}`) : null
    )
  );
}

/** The collapsed "nbsec fix" section, `pageSize` changes at a time; null when the report has no fixes. */
export function renderFixes(report: NbsecReportV1, pageSize: number): HTMLDetailsElement | null {
  const fixes = report.fixes;
  if (!fixes) {
    return null;
  }
  const mode = MODE_LABELS[fixes.mode] ?? fixes.mode;
  const summary = fixes.summary || plural(fixes.changes.length, 'change');
  return h(
    'details',
    { className: 'nbsec-fixes', dataset: { mode: fixes.mode } },
    h('summary', null, `nbsec fix (${mode}): `, h('span', { className: 'nbsec-fixes-summary' }, summary)),
    fixes.changes.length
      ? pagedTable('nbsec-fix-changes', ['Status', 'File', 'Change'], fixes.changes, pageSize, changeRow)
      : h('p', { className: 'nbsec-muted' }, 'No changes to make.')
  );
}
