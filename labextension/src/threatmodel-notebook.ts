// The threat model inside a notebook, in the two places nbsec keeps it (nbsec/threatmodel/notebook.py):
//
// - an output: `%aisec threatmodel` displays ThreatModel.to_dict() under THREAT_MODEL_MIME (a kernel
//   cannot write the notebook file, so it prints the model where the notebook saves it);
// - the notebook's metadata at metadata.nbsec.threat_model: the extension's "save threat model into
//   notebook" writes it there. `nbsec scan` evaluates that one (and reports it when it is invalid) and
//   `nbsec threatmodel import` prefers it to any output.
//
// Pure data helpers; nothing passed in is mutated.

import { isRecord } from './json';

export const THREAT_MODEL_MIME = 'application/vnd.nbsec.threatmodel.v1+json';
/** The top-level key (and its one version) every threat model starts with (document.py FORMAT_KEY). */
export const FORMAT_KEY = 'nbsec_threat_model';
export const FORMAT_VERSION = 1;
/** metadata[METADATA_KEY][METADATA_MODEL_KEY]: where the CLI looks for a saved model. */
export const METADATA_KEY = 'nbsec';
export const METADATA_MODEL_KEY = 'threat_model';

export type ThreatModelData = Record<string, unknown>;


const LIST_KEYS = ['zones', 'elements', 'flows', 'threats'] as const;

/**
 * Why `data` is not a threat model as ThreatModel.to_dict() writes it, or null when it is one: the
 * `nbsec_threat_model: 1` key, an `elements` list, and zones, flows and threats (when present) lists of
 * objects. Shape only: ids, kinds and controls are the CLI's to judge (`nbsec scan` reports them).
 */
export function threatModelProblem(data: unknown): string | null {
  if (!isRecord(data)) {
    return `expected an object, found ${describeType(data)}`;
  }
  if (data[FORMAT_KEY] !== FORMAT_VERSION) {
    return `\`${FORMAT_KEY}\` must be ${FORMAT_VERSION}`;
  }
  if (!Array.isArray(data.elements)) {
    return '`elements` must be a list';
  }
  for (const key of LIST_KEYS) {
    const value = data[key];
    if (value === undefined || value === null) {
      continue;
    }
    if (!Array.isArray(value)) {
      return `\`${key}\` must be a list`;
    }
    const bad = value.findIndex(entry => !isRecord(entry));
    if (bad >= 0) {
      return `\`${key}\` entry ${bad + 1} must be an object, found ${describeType(value[bad])}`;
    }
  }
  const controls = data.controls;
  if (controls !== undefined && controls !== null && !Array.isArray(controls)) {
    return '`controls` must be a list';
  }
  const title = data.title;
  if (title !== undefined && title !== null && (typeof title === 'object' || typeof title === 'function')) {
    return '`title` must be text';
  }
  return null;
}

export function isThreatModel(data: unknown): data is ThreatModelData {
  return threatModelProblem(data) === null;
}

/**
 * The model of the newest threat-model output: last cell first, and within a cell last output first,
 * as the CLI's from_notebook() reads outputs. Null when no output carries one, or when the newest one
 * is malformed (the CLI would refuse it too, and an older output is not what the user last displayed).
 */
export function latestThreatModel(cells: ReadonlyArray<{ outputs?: unknown }>): ThreatModelData | null {
  for (let c = cells.length - 1; c >= 0; c--) {
    const outputs = cells[c]?.outputs;
    if (!Array.isArray(outputs)) {
      continue;
    }
    for (let o = outputs.length - 1; o >= 0; o--) {
      const output: unknown = outputs[o];
      const data = isRecord(output) ? output.data : undefined;
      if (isRecord(data) && Object.prototype.hasOwnProperty.call(data, THREAT_MODEL_MIME)) {
        const model = data[THREAT_MODEL_MIME];
        return isThreatModel(model) ? model : null;
      }
    }
  }
  return null;
}

/**
 * New notebook metadata with `model` at metadata.nbsec.threat_model; every other key of the metadata
 * and of its "nbsec" entry is kept. The model is copied as plain JSON. Throws a TypeError when `model`
 * is not a threat model: a save must not put something there that the CLI will reject.
 */
export function withThreatModel(notebookMetadata: Record<string, unknown>, model: unknown): Record<string, unknown> {
  const problem = threatModelProblem(model);
  if (problem !== null) {
    throw new TypeError(`not an nbsec threat model: ${problem}`);
  }
  const metadata = isRecord(notebookMetadata) ? notebookMetadata : {};
  const entry = isRecord(metadata[METADATA_KEY]) ? (metadata[METADATA_KEY] as Record<string, unknown>) : {};
  return { ...metadata, [METADATA_KEY]: { ...entry, [METADATA_MODEL_KEY]: JSON.parse(JSON.stringify(model)) } };
}

/** The model saved in the notebook's metadata, or null when none is saved or it is malformed. */
export function savedThreatModel(notebookMetadata: unknown): ThreatModelData | null {
  const saved = savedValue(notebookMetadata);
  return isThreatModel(saved) ? saved : null;
}

/**
 * Whether anything is saved at metadata.nbsec.threat_model. Like the CLI (saved_model_data), only a
 * missing or null entry means "no model": a malformed one is still the user's save, which `nbsec scan`
 * reports as an error rather than ignoring.
 */
export function hasSavedThreatModel(notebookMetadata: unknown): boolean {
  const saved = savedValue(notebookMetadata);
  return saved !== undefined && saved !== null;
}

/** The same model, whatever the order of its keys (the CLI hashes json.dumps(sort_keys=True)). */
export function threatModelsEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function savedValue(notebookMetadata: unknown): unknown {
  const entry = isRecord(notebookMetadata) ? notebookMetadata[METADATA_KEY] : undefined;
  return isRecord(entry) ? entry[METADATA_MODEL_KEY] : undefined;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter(key => value[key] !== undefined)
      .sort();
    return `{${keys.map(key => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function describeType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
