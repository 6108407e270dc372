// Suppressing a finding from the panel writes what nbsec's CLI reads, so `nbsec scan` in CI agrees
// with the panel:
//
// - an inline comment on the finding's line, `# nbsec: ignore[NBSEC-NB-001]` (nbsec/suppress.py), for
//   findings in a code cell's source: the reason travels with the code;
// - otherwise the cell's metadata, {"nbsec": {"ignore": ["NBSEC-NB-001"]}}
//   (nbsec/scanners/notebook/reader.py cell_ignores): outputs, markdown and raw cells, a cell's
//   metadata, and every line an appended comment would change the meaning of.
//
// Pure string and object edits; nothing passed in is mutated.

import { isRecord } from './json';
import { PanelItem } from './panel-model';

export interface SuppressibleCell {
  type: 'code' | 'markdown' | 'raw' | string;
  source: string;
  metadata: Record<string, unknown>;
}

export type Suppression = { kind: 'inline'; source: string } | { kind: 'metadata'; metadata: Record<string, unknown> };

/** "*": a bare `# nbsec: ignore`, or `"ignore": true` in cell metadata: every rule. */
export const ALL_RULES = '*';

// nbsec/suppress.py _PATTERN, same groups and flags (`[` without `]` reads as the bare form there too).
const IGNORE_COMMENT = /#\s*nbsec\s*:\s*ignore(?:\[([^\]]*)\])?/gi;

// What can stand inside `ignore[...]` and still read back as the same one id: no `]`, no comma, no line
// break. nbsec's ids (NBSEC-NB-001) fit; anything else goes to metadata, where it is JSON data, not code.
const INLINE_RULE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

// Python's str.splitlines() (which the CLI uses for code findings) breaks at these too, the content
// scanner only at "\n": line numbers disagree, so such a cell is not edited inline.
const OTHER_LINE_BREAKS = /\r(?!\n)|[\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

// Cell magics whose body IPython runs as Python (nbsec/scanners/notebook/analysis.py CODE_CELL_MAGICS).
// Any other (%%bash, %%writefile config.json, %%html) has a body where `# ...` may be data.
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'prun', 'debug', 'capture']);

/** Rule ids a line's `# nbsec: ignore` comments name (upper-cased); "*" for a bare one. As inline_ignores(). */
export function inlineIgnores(line: string): Set<string> {
  const found = new Set<string>();
  if (!line.toLowerCase().includes('nbsec')) {
    return found;
  }
  for (const match of line.matchAll(IGNORE_COMMENT)) {
    const ids = match[1];
    if (ids === undefined || !ids.trim()) {
      found.add(ALL_RULES);
    } else {
      for (const id of ids.split(',')) {
        if (id.trim()) {
          found.add(id.trim().toUpperCase());
        }
      }
    }
  }
  return found;
}

/** Rule ids a cell's metadata ignores (upper-cased); "*" for `"ignore": true`. As cell_ignores(). */
export function cellIgnores(metadata: unknown): Set<string> {
  const entry = isRecord(metadata) ? metadata.nbsec : undefined;
  if (!isRecord(entry)) {
    return new Set();
  }
  let ignore = entry.ignore;
  if (ignore === true) {
    return new Set([ALL_RULES]);
  }
  if (typeof ignore === 'string') {
    ignore = [ignore];
  }
  if (!Array.isArray(ignore)) {
    return new Set();
  }
  return new Set(
    ignore
      .map(pythonStr)
      .map(i => i.trim().toUpperCase())
      .filter(Boolean)
  );
}

/** Whether a set of ignores covers `rule` (is_ignored()). */
export function ignores(set: Set<string>, rule: string): boolean {
  return set.has(ALL_RULES) || set.has(rule.toUpperCase());
}

/** The edit that makes the CLI suppress `item` in `cell`: see the module comment. */
export function suppressionFor(item: PanelItem, cell: SuppressibleCell): Suppression {
  const rule = String(item.finding.rule_id);
  if (cell.type === 'code' && item.line !== null && item.output === null) {
    const source = withInlineIgnore(cell.source, item.line, rule);
    if (source !== null) {
      return { kind: 'inline', source };
    }
  }
  return { kind: 'metadata', metadata: withMetadataIgnore(cell.metadata, rule) };
}

/**
 * `source` with `rule` ignored on its 1-based `line`, or null when an inline comment is not safe there
 * (the line does not exist, continues with a backslash, ends inside a string, or is not Python).
 * Every other line, and this line's ending ("\n", "\r\n" or none), is kept byte for byte.
 */
export function withInlineIgnore(source: string, line: number, rule: string): string | null {
  if (!INLINE_RULE.test(rule) || OTHER_LINE_BREAKS.test(source) || !pythonCell(source)) {
    return null;
  }
  const bounds = lineBounds(source, line);
  if (!bounds) {
    return null;
  }
  const { start, end } = bounds;
  const text = source.slice(start, end);
  if (text.trimStart().startsWith('%%')) {
    return null; // a cell magic's own line: its arguments are not Python
  }
  if (ignores(inlineIgnores(text), rule)) {
    return source; // already covered (a bare `# nbsec: ignore`, or the rule is named)
  }
  const scan = scanTo(source, start, end);
  if (scan.inString) {
    return null; // the comment would become part of the string
  }
  if (scan.commentStart === null && text.endsWith('\\')) {
    return null; // a comment after a line continuation is a syntax error
  }
  const edited = scan.commentStart === null ? null : mergeIntoComment(text, scan.commentStart - start, rule);
  const newText = edited ?? appendComment(text, rule);
  return source.slice(0, start) + newText + source.slice(end);
}

/**
 * A copy of a cell's metadata with `rule` in nbsec.ignore. Other keys (of the metadata and of its
 * "nbsec" entry) are kept; `"ignore": true` already covers every rule and stays; a single string
 * becomes a list. The input is not mutated.
 */
export function withMetadataIgnore(metadata: Record<string, unknown>, rule: string): Record<string, unknown> {
  const source = isRecord(metadata) ? metadata : {};
  const entry: Record<string, unknown> = isRecord(source.nbsec) ? { ...source.nbsec } : {};
  const ignore = entry.ignore;
  const covered = ignores(cellIgnores({ nbsec: entry }), rule);
  if (ignore === true) {
    // every rule already
  } else if (typeof ignore === 'string') {
    entry.ignore = !ignore.trim() ? [rule] : covered ? [ignore] : [ignore, rule];
  } else if (Array.isArray(ignore)) {
    entry.ignore = covered ? ignore.slice() : [...ignore, rule];
  } else {
    entry.ignore = [rule]; // missing, or a value the CLI does not read (false, a number, an object)
  }
  return { ...source, nbsec: entry };
}

// --------------------------------------------------------------------------- helpers

/** Python's str() for JSON values, enough for comparing ids (`str(True)` is "True"). */
function pythonStr(value: unknown): string {
  if (value === true) {
    return 'True';
  }
  if (value === false) {
    return 'False';
  }
  if (value === null) {
    return 'None';
  }
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** False for a cell whose body a cell magic does not run as Python (%%bash, %%writefile, ...). */
function pythonCell(source: string): boolean {
  const first = source.replace(/^(?:[ \t]*\r?\n)+/, '');
  const magic = /^%%(\S*)/.exec(first);
  return magic === null || PYTHON_CELL_MAGICS.has(magic[1]);
}

/**
 * [start, end) of the 1-based line `line` without its ending, or null when the source has no such
 * line. A trailing "\n" ends the last line; it does not start another (Python's splitlines()).
 */
function lineBounds(source: string, line: number): { start: number; end: number } | null {
  if (!Number.isInteger(line) || line < 1) {
    return null;
  }
  let start = 0;
  for (let n = 1; n < line; n++) {
    const newline = source.indexOf('\n', start);
    if (newline < 0) {
      return null;
    }
    start = newline + 1;
  }
  if (start >= source.length) {
    return null;
  }
  const newline = source.indexOf('\n', start);
  let end = newline < 0 ? source.length : newline;
  if (newline >= 0 && end > start && source[end - 1] === '\r') {
    end -= 1;
  }
  return { start, end };
}

interface ScanState {
  /** The line ends inside a string (a triple-quoted one, or an unterminated one). */
  inString: boolean;
  /** Offset in `source` of the `#` that starts the line's comment, if it has one. */
  commentStart: number | null;
}

/**
 * Python's strings and comments from the top of the cell to `end`, the end of the line that starts at
 * `lineStart`: enough to tell whether text appended there is code, a comment or inside a string.
 * Best effort (prefixes need no handling; 3.12 f-strings that reuse their quote inside `{}` are not
 * understood), which errs towards the metadata fallback rather than towards editing a string.
 */
function scanTo(source: string, lineStart: number, end: number): ScanState {
  let quote = '';
  let triple = false;
  let commentStart: number | null = null;
  let i = 0;
  while (i < end) {
    const c = source[i];
    if (quote) {
      if (c === '\\') {
        i += 2; // an escaped character, or a line continuation inside the string
      } else if (c === '\n' && !triple) {
        quote = ''; // an unterminated one-line string ends with its line (e.g. `!echo it's`)
        i += 1;
      } else if (source.startsWith(triple ? quote.repeat(3) : quote, i)) {
        i += triple ? 3 : 1;
        quote = '';
      } else {
        i += 1;
      }
    } else if (c === '#') {
      if (i >= lineStart) {
        commentStart = i;
      }
      const newline = source.indexOf('\n', i);
      i = newline < 0 ? source.length : newline;
    } else if (c === '"' || c === "'") {
      quote = c;
      triple = source.startsWith(c.repeat(3), i);
      i += triple ? 3 : 1;
    } else {
      i += 1;
    }
  }
  return { inString: quote !== '', commentStart };
}

/** The line with `rule` added to an `ignore[...]` list in its comment, or null when it has none. */
function mergeIntoComment(text: string, commentOffset: number, rule: string): string | null {
  for (const match of text.matchAll(IGNORE_COMMENT)) {
    const ids = match[1];
    if (match.index === undefined || match.index < commentOffset || ids === undefined || !ids.trim()) {
      continue;
    }
    const open = match.index + match[0].indexOf('[') + 1;
    const kept = ids.trimEnd();
    const separator = kept.endsWith(',') ? ' ' : ids.includes(', ') || !ids.includes(',') ? ', ' : ',';
    const at = open + kept.length;
    return text.slice(0, at) + separator + rule + text.slice(at);
  }
  return null;
}

function appendComment(text: string, rule: string): string {
  const comment = `# nbsec: ignore[${rule}]`;
  if (!text.trim()) {
    return text + comment;
  }
  return `${text.replace(/[ \t]+$/, '')}  ${comment}`;
}
