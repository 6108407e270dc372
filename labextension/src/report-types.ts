/* Generated from nbsec/model/schema/report.v1.json by `jlpm gen:types`; do not edit by hand. */

/**
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "severity".
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
/**
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "confidence".
 */
export type Confidence = 'high' | 'medium' | 'low';
/**
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "figure".
 */
export type Figure = {
  [k: string]: unknown;
} & {
  id: string;
  title: string;
  kind: 'line' | 'bar' | 'image-grid';
  data: {};
};

/**
 * One nbsec run: findings, metrics, coverage, errors and timings. Produced only by Report.to_dict().
 */
export interface NbsecReportV1 {
  schema_version: string;
  tool: {
    name: string;
    version: string;
  };
  started_at: string;
  finished_at: string;
  targets: {
    path: string;
    kind: string;
    status: 'scanned' | 'skipped' | 'error';
    detail?: string;
  }[];
  findings: Finding[];
  metrics: {
    name: string;
    value: number;
    unit: string;
    labels: {
      [k: string]: string;
    };
  }[];
  checks: {
    scanner: string;
    target: string;
    status: 'passed' | 'failed' | 'error' | 'skipped';
    detail?: string;
    /**
     * the rule ids a runner's check tested (empty: every rule of a file scanner)
     */
    rules?: string[];
  }[];
  errors: {
    scanner: string;
    target: string;
    message: string;
    hint?: string;
  }[];
  suppressed?: {
    reason: 'inline' | 'cell-metadata' | 'config' | 'baseline' | 'severity-threshold';
    finding: Finding;
    /**
     * Which form suppressed it, when the reason alone does not say (since 1.3): e.g. 'nosec (bandit)', 'pragma: allowlist secret (detect-secrets)'.
     */
    detail?: string;
  }[];
  timings: {
    [k: string]: number;
  };
  summary?: {
    counts?: {
      [k: string]: number;
    };
    total?: number;
  };
  baseline?: {
    path: string;
    new: number;
    fixed: number;
    unchanged: number;
  };
  /**
   * Optional charts as data (robustness curves, per-class bars, example grids); each surface draws them.
   */
  figures?: Figure[];
  fixes?: Fixes;
}
/**
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "finding".
 */
export interface Finding {
  rule_id: string;
  title: string;
  severity: Severity;
  confidence: Confidence;
  location: Location;
  /**
   * what was seen, redacted for secrets and PII
   */
  evidence: string;
  remediation: string;
  references: Reference[];
  fingerprint: string;
  tags?: string[];
}
/**
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "location".
 */
export interface Location {
  path: string;
  /**
   * 0-based cell index; shown 1-based
   */
  cell?: number;
  /**
   * nbformat 4.5 cell id
   */
  cell_id?: string;
  execution_count?: number;
  line?: number;
  column?: number;
  end_line?: number;
  end_column?: number;
  /**
   * archive member
   */
  member?: string;
  /**
   * byte offset, e.g. in a pickle
   */
  offset?: number;
  /**
   * 0-based output index in a cell
   */
  output?: number;
  /**
   * threat-model or lineage element
   */
  element?: string;
  /**
   * LLM or service endpoint
   */
  endpoint?: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "reference".
 */
export interface Reference {
  framework: string;
  id: string;
  url?: string;
}
/**
 * `nbsec fix`: the changes planned (dry run) or applied, what became of each finding in scope, the backups written (schema 1.2).
 *
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "fixes".
 */
export interface Fixes {
  mode: 'dry-run' | 'apply';
  summary?: string;
  changes: FixChange[];
  outcomes: {
    status: 'fixable' | 'fixed' | 'remains';
    reason?: string;
    finding: Finding;
  }[];
  backups: string[];
}
/**
 * One change to one file; `diff` is redacted (never a found secret in full).
 *
 * This interface was referenced by `NbsecReportV1`'s JSON-Schema
 * via the `definition` "fix_change".
 */
export interface FixChange {
  path: string;
  kind: 'text' | 'notebook' | 'new-file';
  summary: string;
  rule_ids: string[];
  /**
   * fingerprints of the findings this change fixes
   */
  findings: string[];
  status: 'planned' | 'applied' | 'refused' | 'failed';
  diff: string;
  reason?: string;
  source?: string;
  backup?: string;
  notes?: string[];
  size?: number;
  edits?: {
    start_line: number;
    start_column: number;
    end_line: number;
    end_column: number;
    text: string;
  }[];
}
