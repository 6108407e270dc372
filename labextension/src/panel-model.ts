// What the "AI Security" side panel shows for one notebook: the findings of its last scan, matched to
// the notebook's current cells, filtered by the user's settings and grouped by severity.
//
// Pure data: no DOM, no JupyterLab, no signals (the controller wraps it and says when it changed).

import { ruleExcluded } from './report-location';
import { Finding, Location, NbsecReportV1, Severity } from './report-types';
import { SEVERITIES } from './severity';

/** One cell of the open notebook, as the panel needs it: its id, where it is now, and its type. */
export interface CellRef {
  id: string;
  index: number;
  type: 'code' | 'markdown' | 'raw';
}

export interface PanelSettings {
  /** Findings below this severity are hidden (and counted by hiddenBySettings). */
  minSeverity: Severity;
  /** Rule ids, prefixes or globs (case-insensitive, as the CLI reads them) whose findings are hidden. */
  excludedRules: string[];
}

export interface PanelItem {
  finding: Finding;
  /** The cell the finding is in now (0-based), or null: notebook metadata, or the cell is gone. */
  cellIndex: number | null;
  /**
   * 1-based line in the cell's source, or null when the finding is not in the source (an output, the
   * cell's metadata, an attachment, a table cell). For outputs `finding.location.line` still holds the
   * line within the output's text; it is not a line an editor can show.
   */
  line: number | null;
  /** 0-based output index, or null when the finding is not in an output. */
  output: number | null;
  /** Stable for one report (survives setSettings and setCells): use it as a DOM key. */
  key: string;
}

export interface SeverityGroup {
  severity: Severity;
  items: PanelItem[];
}

export type ReportError = NbsecReportV1['errors'][number];

/**
 * Position in the panel's order, worst first: 0 for critical ... 4 for info (severity.ts's SEVERITIES);
 * unknown severities (a malformed report) rank as info.
 */
function worstFirst(severity: string): number {
  const rank = SEVERITIES.indexOf(severity as Severity);
  return rank < 0 ? SEVERITIES.length - 1 : rank;
}

function severityOf(finding: Finding): Severity {
  return SEVERITIES[worstFirst(finding.severity)];
}

/**
 * The line of the cell's source a finding points at, or null. The content scanner sets `line` for
 * every text part it reads (outputs, the cell's metadata as JSON, attachments), so a line is a source
 * line only when the finding names no output and no element (element: "cell metadata", "attachment
 * NAME", "table 1, row 2, column email", ...).
 */
export function sourceLine(location: Location): number | null {
  if (location.output !== undefined && location.output !== null) {
    return null;
  }
  if (location.element !== undefined && location.element !== null) {
    return null;
  }
  const line = location.line;
  return typeof line === 'number' && Number.isInteger(line) && line >= 1 ? line : null;
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * The cell a location is in now. The cell id comes first: ids survive inserting, deleting and moving
 * cells after the scan. Without an id (nbformat < 4.5 files) the scanned index is used when it is in
 * range. An id that no current cell has means the cell was deleted, so the index (now another cell's)
 * is not used either, unless `idsCorrespond` is false: the notebook's ids share nothing with the
 * report's (the frontend gave the cells new ids), where the index is the only clue left.
 */
export function matchCell(location: Location, cells: readonly CellRef[], idsCorrespond = true): number | null {
  const id = location.cell_id;
  if (typeof id === 'string' && id) {
    const byId = cells.find(cell => cell.id === id);
    if (byId) {
      return byId.index;
    }
    if (idsCorrespond) {
      return null;
    }
  }
  const index = location.cell;
  return isIndex(index) && cells.some(cell => cell.index === index) ? index : null;
}

/** Whether any of the report's cell ids is one of the notebook's: see matchCell. */
function reportIdsCorrespond(findings: readonly Finding[], cells: readonly CellRef[]): boolean {
  const ids = new Set(cells.map(cell => cell.id));
  const reported = findings.map(f => f.location?.cell_id).filter((id): id is string => typeof id === 'string' && !!id);
  return reported.length === 0 || reported.some(id => ids.has(id));
}

/**
 * True when cells moved, appeared or went away since the scan in a way that matters to its findings:
 * a finding's cell is gone, or sits at another index than the scan saw. The panel can then say the
 * findings follow the cells but a new scan would be exact.
 */
export function changedSinceScan(report: NbsecReportV1 | null, cells: readonly CellRef[]): boolean {
  if (!report) {
    return false;
  }
  const correspond = reportIdsCorrespond(report.findings, cells);
  return report.findings.some(finding => {
    const scanned = finding.location?.cell;
    if (!isIndex(scanned)) {
      return false;
    }
    return matchCell(finding.location, cells, correspond) !== scanned;
  });
}

function itemKey(finding: Finding, seen: Map<string, number>): string {
  const loc = finding.location ?? ({} as Location);
  const base = [
    finding.fingerprint || finding.rule_id,
    loc.cell_id ?? loc.cell ?? '',
    loc.output ?? '',
    loc.line ?? '',
    loc.column ?? '',
    loc.element ?? ''
  ].join('|');
  // The fingerprint leaves the cell and the line out on purpose (baselines): the same secret printed
  // twice in one output is two findings with one base key.
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count ? `${base}#${count}` : base;
}

/** Reading order: by cell (findings outside cells last), source before outputs, then line. */
function compareItems(a: PanelItem, b: PanelItem): number {
  const cell = (a.cellIndex ?? Number.MAX_SAFE_INTEGER) - (b.cellIndex ?? Number.MAX_SAFE_INTEGER);
  if (cell) {
    return cell;
  }
  const output = (a.output ?? -1) - (b.output ?? -1);
  if (output) {
    return output;
  }
  const line = (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
  if (line) {
    return line;
  }
  return a.finding.rule_id < b.finding.rule_id ? -1 : a.finding.rule_id > b.finding.rule_id ? 1 : 0;
}

export class PanelModel {
  constructor(settings: PanelSettings) {
    this.settings = copySettings(settings);
  }

  setSettings(settings: PanelSettings): void {
    this.settings = copySettings(settings);
  }

  getSettings(): PanelSettings {
    return copySettings(this.settings);
  }

  /** A new scan (or null: none yet, or it failed). `cells` are the notebook's cells now. */
  setReport(report: NbsecReportV1 | null, cells: CellRef[]): void {
    this.report = report;
    const seen = new Map<string, number>();
    this.keys = (report?.findings ?? []).map(finding => itemKey(finding, seen));
    this.setCells(cells);
  }

  /** The cells were added, deleted or moved since the scan: match the findings again (by id first). */
  setCells(cells: CellRef[]): void {
    this.cells = cells.slice();
    const findings = this.report?.findings ?? [];
    const correspond = reportIdsCorrespond(findings, this.cells);
    this.items = findings.map((finding, n) => {
      const location = finding.location ?? ({ path: '' } as Location);
      const cellIndex = matchCell(location, this.cells, correspond);
      const output = isIndex(location.output) ? location.output : null;
      return {
        finding,
        cellIndex,
        // A line means nothing without the cell it is in.
        line: cellIndex === null ? null : sourceLine(location),
        output,
        key: this.keys[n]
      };
    });
  }

  hasReport(): boolean {
    return this.report !== null;
  }

  /** Every finding of the report, shown or not, in reading order. */
  allItems(): PanelItem[] {
    return this.items.slice().sort(compareItems);
  }

  /** The shown findings, critical first; groups without findings are left out. */
  groups(): SeverityGroup[] {
    const shown = this.shownItems();
    return SEVERITIES.map(severity => ({
      severity,
      items: shown.filter(item => severityOf(item.finding) === severity)
    })).filter(group => group.items.length > 0);
  }

  /** How many findings the panel shows. */
  count(): number {
    return this.shownItems().length;
  }

  /** How many findings the settings hide (below the minimum severity, or an excluded rule). */
  hiddenBySettings(): number {
    return this.items.length - this.count();
  }

  /** The findings the CLI's suppressions already silenced (the report keeps them, never drops them). */
  suppressedCount(): number {
    return this.report?.suppressed?.length ?? 0;
  }

  /** The worst shown severity per cell index, for the cell markers. */
  cellSeverities(): Map<number, Severity> {
    const worst = new Map<number, Severity>();
    for (const item of this.shownItems()) {
      if (item.cellIndex === null) {
        continue;
      }
      const severity = severityOf(item.finding);
      const before = worst.get(item.cellIndex);
      if (before === undefined || worstFirst(severity) < worstFirst(before)) {
        worst.set(item.cellIndex, severity);
      }
    }
    return worst;
  }

  /** The report's errors: what could not be scanned, with a hint. */
  errors(): ReportError[] {
    return (this.report?.errors ?? []).slice();
  }

  /** The item with this key, if the current report has it. */
  item(key: string): PanelItem | null {
    return this.items.find(item => item.key === key) ?? null;
  }

  /** See changedSinceScan. */
  changedSinceScan(): boolean {
    return changedSinceScan(this.report, this.cells);
  }

  private shownItems(): PanelItem[] {
    // Rule ids, prefixes (NBSEC-PRIV) and globs, as the Report view and the CLI's --exclude-rule read them.
    const minRank = worstFirst(this.settings.minSeverity);
    return this.allItems().filter(
      item =>
        worstFirst(item.finding.severity) <= minRank &&
        !ruleExcluded(String(item.finding.rule_id), this.settings.excludedRules)
    );
  }

  private settings: PanelSettings;
  private report: NbsecReportV1 | null = null;
  private cells: CellRef[] = [];
  private keys: string[] = [];
  private items: PanelItem[] = [];
}

function copySettings(settings: PanelSettings): PanelSettings {
  return { minSeverity: settings.minSeverity, excludedRules: (settings.excludedRules ?? []).slice() };
}
