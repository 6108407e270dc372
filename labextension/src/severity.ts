// Severities in nbsec's order: the same ranks as the Python side's Severity.rank (critical=4 ... info=0).
import type { Confidence, Severity } from './report-types';

/** Worst first: the order of chips, filters and the default sort. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];

const LABELS: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info'
};

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function isConfidence(value: unknown): value is Confidence {
  return typeof value === 'string' && (CONFIDENCES as readonly string[]).includes(value);
}

/** Higher is worse: critical=4, high=3, medium=2, low=1, info=0. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/** Higher is surer: high=2, medium=1, low=0. */
export function confidenceRank(confidence: Confidence): number {
  return CONFIDENCES.length - 1 - CONFIDENCES.indexOf(confidence);
}

/** Whether `severity` is `min` or worse (atLeast('high', 'medium') is true). */
export function atLeast(severity: Severity, min: Severity): boolean {
  return severityRank(severity) >= severityRank(min);
}

/** 'High', for headings and chips. */
export function severityLabel(severity: Severity): string {
  return LABELS[severity];
}
