// The shape guard of a Report. A report reaches the view from a kernel, a file or the server, so it is
// `unknown` until checked here; everything the view reads is checked, so the view itself can trust its
// types. The first problem found is named, with its place, for the error box.
import type { NbsecReportV1 } from './report-types';
import { SEVERITIES, isConfidence, isSeverity } from './severity';
import { isRecord } from './json';

type Dict = Record<string, unknown>;
type ItemCheck = (value: unknown, where: string) => string | null;


/** A short JSON rendering of a bad value for the message; the message is shown as text. */
function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'missing';
  }
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}

/** Null when every key in `names` holds a string (optional ones may be absent), else the problem. */
function stringFields(obj: Dict, where: string, required: string[], optional: string[] = []): string | null {
  for (const name of required) {
    if (typeof obj[name] !== 'string') {
      return `${where}.${name} should be a string, is ${describeValue(obj[name])}`;
    }
  }
  for (const name of optional) {
    if (obj[name] !== undefined && typeof obj[name] !== 'string') {
      return `${where}.${name} should be a string, is ${describeValue(obj[name])}`;
    }
  }
  return null;
}

const LOCATION_NUMBERS = ['cell', 'execution_count', 'line', 'column', 'end_line', 'end_column', 'offset', 'output'];
const LOCATION_STRINGS = ['cell_id', 'member', 'element', 'endpoint'];

function findingProblem(value: unknown, where: string): string | null {
  if (!isRecord(value)) {
    return `${where} should be an object`;
  }
  const strings = stringFields(value, where, ['rule_id', 'title', 'evidence', 'remediation', 'fingerprint']);
  if (strings) {
    return strings;
  }
  if (!isSeverity(value.severity)) {
    return `${where}.severity should be one of ${SEVERITIES.join(', ')}, is ${describeValue(value.severity)}`;
  }
  if (!isConfidence(value.confidence)) {
    return `${where}.confidence should be high, medium or low, is ${describeValue(value.confidence)}`;
  }
  const location = value.location;
  if (!isRecord(location)) {
    return `${where}.location should be an object`;
  }
  const locationStrings = stringFields(location, `${where}.location`, ['path'], LOCATION_STRINGS);
  if (locationStrings) {
    return locationStrings;
  }
  for (const name of LOCATION_NUMBERS) {
    const n = location[name];
    if (n !== undefined && !(typeof n === 'number' && Number.isInteger(n))) {
      return `${where}.location.${name} should be an integer, is ${describeValue(n)}`;
    }
  }
  if (!Array.isArray(value.references)) {
    return `${where}.references should be a list`;
  }
  for (let i = 0; i < value.references.length; i++) {
    const ref = value.references[i];
    if (!isRecord(ref)) {
      return `${where}.references[${i}] should be an object`;
    }
    const refStrings = stringFields(ref, `${where}.references[${i}]`, ['framework', 'id'], ['url']);
    if (refStrings) {
      return refStrings;
    }
  }
  if (value.tags !== undefined && !(Array.isArray(value.tags) && value.tags.every(t => typeof t === 'string'))) {
    return `${where}.tags should be a list of strings`;
  }
  return null;
}

/** Checks `data[name]` is a list and each item passes `item`; `where` prefixes the place in the message. */
function listProblem(data: Dict, name: string, item: ItemCheck, where = name): string | null {
  const list = data[name];
  if (!Array.isArray(list)) {
    return `${where} should be a list, is ${describeValue(list)}`;
  }
  for (let i = 0; i < list.length; i++) {
    const problem = item(list[i], `${where}[${i}]`);
    if (problem) {
      return problem;
    }
  }
  return null;
}

function objectWith(required: string[], optional: string[] = []): ItemCheck {
  return (value, where) => (isRecord(value) ? stringFields(value, where, required, optional) : `${where} should be an object`);
}

function metricProblem(value: unknown, where: string): string | null {
  if (!isRecord(value)) {
    return `${where} should be an object`;
  }
  const strings = stringFields(value, where, ['name', 'unit']);
  if (strings) {
    return strings;
  }
  if (typeof value.value !== 'number' || !Number.isFinite(value.value)) {
    return `${where}.value should be a number, is ${describeValue(value.value)}`;
  }
  if (!isRecord(value.labels) || !Object.values(value.labels).every(v => typeof v === 'string')) {
    return `${where}.labels should map names to strings`;
  }
  return null;
}

function suppressedProblem(value: unknown, where: string): string | null {
  if (!isRecord(value)) {
    return `${where} should be an object`;
  }
  return stringFields(value, where, ['reason'], ['detail']) ?? findingProblem(value.finding, `${where}.finding`);
}

/** `nbsec fix`'s section: the view shows its mode, summary and each change's path, summary, status and reason. */
function fixesProblem(value: unknown): string | null {
  if (!isRecord(value)) {
    return 'fixes should be an object';
  }
  if (value.mode !== 'dry-run' && value.mode !== 'apply') {
    return `fixes.mode should be dry-run or apply, is ${describeValue(value.mode)}`;
  }
  return (
    stringFields(value, 'fixes', [], ['summary']) ??
    listProblem(value, 'changes', objectWith(['path', 'summary', 'status'], ['kind', 'reason']), 'fixes.changes')
  );
}

/** Null when `data` is a Report v1 the view can draw, else what is wrong with it (for the error box). */
export function reportProblem(data: unknown): string | null {
  if (!isRecord(data)) {
    return `expected a report object, got ${Array.isArray(data) ? 'a list' : describeValue(data)}`;
  }
  if (typeof data.schema_version !== 'string' || !/^1\.\d+$/.test(data.schema_version)) {
    return `schema_version should be 1.x, is ${describeValue(data.schema_version)}`;
  }
  if (!isRecord(data.tool)) {
    return 'tool should be an object';
  }
  const problem =
    stringFields(data.tool, 'tool', ['name', 'version']) ??
    stringFields(data, 'report', ['started_at', 'finished_at']) ??
    listProblem(data, 'targets', objectWith(['path', 'kind', 'status'], ['detail'])) ??
    listProblem(data, 'findings', findingProblem) ??
    listProblem(data, 'metrics', metricProblem) ??
    listProblem(data, 'checks', objectWith(['scanner', 'target', 'status'], ['detail'])) ??
    listProblem(data, 'errors', objectWith(['scanner', 'target', 'message'], ['hint'])) ??
    (data.suppressed !== undefined ? listProblem(data, 'suppressed', suppressedProblem) : null) ??
    (data.fixes !== undefined ? fixesProblem(data.fixes) : null);
  if (problem) {
    return problem;
  }
  if (!isRecord(data.timings)) {
    return 'timings should be an object';
  }
  if (data.baseline !== undefined) {
    const b = data.baseline;
    if (!isRecord(b) || typeof b.path !== 'string' || !['new', 'fixed', 'unchanged'].every(k => typeof b[k] === 'number')) {
      return 'baseline should hold path, new, fixed and unchanged';
    }
  }
  if (data.figures !== undefined && !Array.isArray(data.figures)) {
    return 'figures should be a list'; // each figure guards its own data when drawn
  }
  return null;
}

export function isReport(data: unknown): data is NbsecReportV1 {
  return reportProblem(data) === null;
}
