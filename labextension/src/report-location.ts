// Where a finding is and what kind of rule found it: the location text the table, the filter and the
// suppressed list share, the rule-id categories, and the user's excluded-rule patterns. Pure functions.
import type { Location } from './report-types';

// Rule-id namespaces, as nbsec.model.taxonomy.CATEGORIES names them.
export const CATEGORY_NAMES: Readonly<Record<string, string>> = {
  ART: 'Model artifacts',
  NB: 'Notebooks and code',
  DEP: 'Supply chain',
  ADV: 'Adversarial robustness',
  PRIV: 'Privacy',
  LLM: 'LLM applications',
  TM: 'Threat model',
  LIN: 'Lineage',
  SCAN: 'The scan itself'
};

/** 'NB' for NBSEC-NB-001: the rule id's middle part ('' when the id has none). */
export function ruleCategory(ruleId: string): string {
  const parts = ruleId.split('-');
  return parts.length >= 3 ? parts[1] : '';
}

export function categoryLabel(category: string): string {
  // Own keys only: a rule id like NBSEC-constructor-001 must not name Object.prototype's members.
  if (Object.prototype.hasOwnProperty.call(CATEGORY_NAMES, category)) {
    return CATEGORY_NAMES[category];
  }
  return category || 'Other';
}

/** Whether a rule id matches one of `patterns` the way nbsec.config.rule_matches does: id, prefix or glob. */
export function ruleExcluded(ruleId: string, patterns: readonly string[]): boolean {
  const id = ruleId.toUpperCase();
  return patterns.some(raw => {
    const pattern = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
    if (!pattern) {
      return false;
    }
    if (id === pattern || id.startsWith(`${pattern}-`)) {
      return true;
    }
    if (!/[*?]/.test(pattern)) {
      return false;
    }
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${source}$`).test(id);
  });
}

/** 'demo.ipynb!member' and the narrowing parts: 'cell 5 [3]', 'output 1', 'line 2', 'col 8', 'element x'... */
export function locationParts(location: Location): { path: string; parts: string[] } {
  const path = location.member !== undefined ? `${location.path}!${location.member}` : location.path;
  const parts: string[] = [];
  if (location.cell !== undefined) {
    const count = location.execution_count !== undefined ? ` [${location.execution_count}]` : '';
    parts.push(`cell ${location.cell + 1}${count}`); // 0-based in the data, 1-based like JupyterLab's count
  }
  if (location.output !== undefined) {
    parts.push(`output ${location.output + 1}`);
  }
  if (location.line !== undefined) {
    parts.push(`line ${location.line}`);
  }
  if (location.column !== undefined) {
    parts.push(`col ${location.column}`);
  }
  if (location.offset !== undefined) {
    parts.push(`byte ${location.offset}`);
  }
  if (location.element !== undefined) {
    parts.push(`element ${location.element}`);
  }
  if (location.endpoint !== undefined && location.endpoint !== location.path) {
    parts.push(`endpoint ${location.endpoint}`);
  }
  return { path, parts };
}

/** 'demo.ipynb, cell 3 [5], line 2, col 8', as Location.describe() on the Python side. */
export function describeLocation(location: Location): string {
  const { path, parts } = locationParts(location);
  return [path, ...parts].join(', ');
}

/** Code-point order, the same in every locale (sorting must not depend on the user's language). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Absent numbers first: a file-level finding before the ones in its cells. */
function compareOptional(a: number | undefined, b: number | undefined): number {
  return (a ?? -1) - (b ?? -1);
}

/** By path, archive member, cell, line, column, byte offset, element: reading order within a file. */
export function compareLocation(a: Location, b: Location): number {
  return (
    compareText(a.path, b.path) ||
    compareText(a.member ?? '', b.member ?? '') ||
    compareOptional(a.cell, b.cell) ||
    compareOptional(a.line, b.line) ||
    compareOptional(a.column, b.column) ||
    compareOptional(a.offset, b.offset) ||
    compareText(a.element ?? '', b.element ?? '')
  );
}
