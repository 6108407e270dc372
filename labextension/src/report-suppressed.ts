// A report's suppressed findings: the ones an inline comment, cell metadata, the configuration, the
// baseline or the minimum severity set aside. They are not in the findings table, but a reviewer must be
// able to see what was set aside and why, so they are listed in a collapsed <details>, worst first.
// Every string (rule, title, location, the suppression's detail) comes from scanned files: text only.
import { h } from './dom';
import { locationCell, severityCell } from './report-finding';
import { compareLocation, compareText } from './report-location';
import { pagedTable } from './report-sections';
import type { NbsecReportV1 } from './report-types';
import { severityRank } from './severity';

export type SuppressedFinding = NonNullable<NbsecReportV1['suppressed']>[number];

// Why a finding was suppressed, in the words of nbsec.reporters._common.SUPPRESSION_REASONS.
export const SUPPRESSION_REASONS: Readonly<Record<string, string>> = {
  inline: 'inline `# nbsec: ignore` comment',
  'cell-metadata': 'cell metadata (nbsec ignore)',
  config: 'rule disabled in the nbsec configuration',
  baseline: 'already in the baseline',
  'severity-threshold': 'below the configured minimum severity'
};

/**
 * Why one finding was suppressed, as nbsec's suppression_text: the reason in words, or, when the report
 * names the form that suppressed it, the reason and that form ('inline: nosec B301 (bandit)').
 * A reason this version does not know is shown as it is.
 */
export function suppressionText(item: SuppressedFinding): string {
  // own keys only: a reason of 'constructor' or '__proto__' must not read Object.prototype
  const known = Object.prototype.hasOwnProperty.call(SUPPRESSION_REASONS, item.reason);
  const words = known ? SUPPRESSION_REASONS[item.reason] : item.reason;
  if (!item.detail) {
    return words;
  }
  return `${item.reason === 'inline' ? 'inline' : words}: ${item.detail}`;
}

function suppressedRow(item: SuppressedFinding): HTMLTableRowElement {
  const f = item.finding;
  return h(
    'tr',
    { className: 'nbsec-suppressed-finding', dataset: { severity: f.severity } },
    severityCell(f.severity),
    h('td', { className: 'nbsec-col-rule' }, h('code', null, f.rule_id)),
    h('td', { className: 'nbsec-col-title' }, f.title),
    locationCell(f.location),
    h('td', { className: 'nbsec-suppressed-reason' }, suppressionText(item))
  );
}

/** The collapsed "Suppressed (N)" list, `pageSize` rows at a time; null when nothing was suppressed. */
export function renderSuppressed(report: NbsecReportV1, pageSize: number): HTMLDetailsElement | null {
  const items = report.suppressed ?? [];
  if (!items.length) {
    return null;
  }
  // Worst first, then by place, then report order: the same order as the findings table's default.
  const ordered = items
    .map((item, index) => ({ item, index }))
    .sort(
      (a, b) =>
        severityRank(b.item.finding.severity) - severityRank(a.item.finding.severity) ||
        compareLocation(a.item.finding.location, b.item.finding.location) ||
        compareText(a.item.finding.rule_id, b.item.finding.rule_id) ||
        a.index - b.index
    )
    .map(entry => entry.item);
  const reasons = new Map<string, number>();
  items.forEach(s => reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1));
  const tally = Array.from(reasons, ([reason, n]) => `${n} ${reason}`).join(', ');
  return h(
    'details',
    { className: 'nbsec-suppressed' },
    h('summary', null, `Suppressed (${items.length})`, h('span', { className: 'nbsec-muted' }, `: ${tally}`)),
    h('p', { className: 'nbsec-muted' }, 'Set aside by a comment, cell metadata, the configuration, the baseline or the minimum severity; not in the findings above.'),
    pagedTable('nbsec-suppressed-table', ['Severity', 'Rule', 'Finding', 'Location', 'Why suppressed'], ordered, pageSize, suppressedRow)
  );
}
