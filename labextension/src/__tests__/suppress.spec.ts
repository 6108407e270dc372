// Suppressing from the panel writes what nbsec's CLI reads: `# nbsec: ignore[RULE]` on the line
// (nbsec/suppress.py inline_ignores) or {"nbsec": {"ignore": [...]}} in the cell's metadata
// (nbsec/scanners/notebook/reader.py cell_ignores). Each edit is checked by reading it back the way the
// CLI does (inlineIgnores / cellIgnores mirror those two functions).
import { PanelItem } from '../panel-model';
import { Finding } from '../report-types';
import {
  SuppressibleCell,
  cellIgnores,
  ignores,
  inlineIgnores,
  suppressionFor,
  withInlineIgnore,
  withMetadataIgnore
} from '../suppress';

const RULE = 'NBSEC-NB-002';

function item(overrides: Partial<PanelItem> = {}, rule = RULE): PanelItem {
  const finding: Finding = {
    rule_id: rule,
    title: 'pickle.load',
    severity: 'high',
    confidence: 'high',
    location: { path: 'demo.ipynb', cell: 0, cell_id: 'c', line: overrides.line ?? 2 },
    evidence: '',
    remediation: '',
    references: [],
    fingerprint: 'fp'
  };
  return { finding, cellIndex: 0, line: 2, output: null, key: 'k', ...overrides };
}

function code(source: string, metadata: Record<string, unknown> = {}): SuppressibleCell {
  return { type: 'code', source, metadata };
}

function inline(source: string, line = 2, rule = RULE): string {
  const edit = suppressionFor(item({ line }, rule), code(source));
  if (edit.kind !== 'inline') {
    throw new Error(`expected an inline edit, got ${JSON.stringify(edit)}`);
  }
  return edit.source;
}

function lineOf(source: string, line: number): string {
  return source.split('\n')[line - 1].replace(/\r$/, '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('inline comments in code cells', () => {
  const SOURCE = 'import pickle\nobj = pickle.load(f)\nprint(obj)\n';

  test('a new comment goes at the end of the finding line; the other lines are untouched', () => {
    const edited = inline(SOURCE);
    expect(edited).toBe('import pickle\nobj = pickle.load(f)  # nbsec: ignore[NBSEC-NB-002]\nprint(obj)\n');
    expect(ignores(inlineIgnores(lineOf(edited, 2)), RULE)).toBe(true);
  });

  test('the rule joins an existing ignore list on the line, once', () => {
    const source = 'import pickle\nobj = pickle.load(f)  # nbsec: ignore[NBSEC-NB-001]  # trusted file\n';
    const edited = inline(source);
    expect(lineOf(edited, 2)).toBe('obj = pickle.load(f)  # nbsec: ignore[NBSEC-NB-001, NBSEC-NB-002]  # trusted file');
    expect([...inlineIgnores(lineOf(edited, 2))].sort()).toEqual(['NBSEC-NB-001', 'NBSEC-NB-002']);
    expect(inline(edited)).toBe(edited);
    expect(lineOf(inline('x\ny = f()  # NBSEC: IGNORE[A,B]\n'), 2)).toBe('y = f()  # NBSEC: IGNORE[A,B,NBSEC-NB-002]');
  });

  test('a rule already named (in any case) or a bare ignore leaves the source as it is', () => {
    for (const source of [
      'x\nobj = pickle.load(f)  # nbsec: ignore[nbsec-nb-002]\n',
      'x\nobj = pickle.load(f)  # nbsec: ignore\n',
      'x\nobj = pickle.load(f)  #nbsec:ignore[]\n'
    ]) {
      expect(inline(source)).toBe(source);
    }
  });

  test('another comment on the line stays; ours follows it', () => {
    const edited = inline('import pickle\nobj = pickle.load(f)  # model from our bucket\n');
    expect(lineOf(edited, 2)).toBe('obj = pickle.load(f)  # model from our bucket  # nbsec: ignore[NBSEC-NB-002]');
    expect(ignores(inlineIgnores(lineOf(edited, 2)), RULE)).toBe(true);
  });

  test('CRLF line endings are kept, on the edited line and the others', () => {
    const source = 'import pickle\r\nobj = pickle.load(f)   \r\nprint(obj)\r\n';
    expect(inline(source)).toBe(
      'import pickle\r\nobj = pickle.load(f)  # nbsec: ignore[NBSEC-NB-002]\r\nprint(obj)\r\n'
    );
  });

  test('the last line without a line ending, and the first line', () => {
    expect(inline('import pickle\nobj = pickle.load(f)')).toBe(
      'import pickle\nobj = pickle.load(f)  # nbsec: ignore[NBSEC-NB-002]'
    );
    expect(inline('pickle.load(f)\n', 1)).toBe('pickle.load(f)  # nbsec: ignore[NBSEC-NB-002]\n');
  });

  test('a `#` or an ignore comment inside a string is not the line comment', () => {
    expect(lineOf(inline('x\ns = pickle.loads("# nbsec: ignore[NBSEC-NB-001]")\n'), 2)).toBe(
      's = pickle.loads("# nbsec: ignore[NBSEC-NB-001]")  # nbsec: ignore[NBSEC-NB-002]'
    );
    expect(lineOf(inline("x\nkey = 'abc#def'\n"), 2)).toBe("key = 'abc#def'  # nbsec: ignore[NBSEC-NB-002]");
  });

  test('the line that closes a triple-quoted string can take a comment', () => {
    const source = 'doc = """first\nAKIAIOSFODNN7EXAMPLE"""\n';
    expect(inline(source)).toBe('doc = """first\nAKIAIOSFODNN7EXAMPLE"""  # nbsec: ignore[NBSEC-NB-002]\n');
  });

  test('code inside %%time is Python: inline', () => {
    expect(inline('%%time\nobj = pickle.load(f)\n')).toBe(
      '%%time\nobj = pickle.load(f)  # nbsec: ignore[NBSEC-NB-002]\n'
    );
  });
});

describe('falls back to cell metadata', () => {
  function kind(source: string, line = 2, rule = RULE): string {
    return suppressionFor(item({ line }, rule), code(source)).kind;
  }

  test('when the line continues with a backslash', () => {
    expect(kind('import pickle\nobj = pickle.load(f) + \\\n  1\n')).toBe('metadata');
  });

  test('when the line is inside a triple-quoted string (the comment would become text)', () => {
    expect(kind('prompt = """\nkey: AKIAIOSFODNN7EXAMPLE\n"""\n')).toBe('metadata');
    expect(kind("x = f('''\nkey\n''')\n", 1)).toBe('metadata');
  });

  test('when the line is not in the source (the cell changed since the scan)', () => {
    expect(kind('import pickle\n', 2)).toBe('metadata');
    expect(kind('a\nb\n', 5)).toBe('metadata');
    expect(kind('', 1)).toBe('metadata');
  });

  test("when a cell magic's body is not Python (%%writefile, %%bash)", () => {
    expect(kind('%%writefile config.json\n{"key": "AKIAIOSFODNN7EXAMPLE"}\n')).toBe('metadata');
    expect(kind('%%bash\nexport KEY=AKIAIOSFODNN7EXAMPLE\n')).toBe('metadata');
  });

  test('when line numbers are ambiguous (a lone carriage return)', () => {
    expect(kind('a = 1\rb = 2\nobj = pickle.load(f)\n')).toBe('metadata');
  });

  test('when the rule id could not be read back from a comment', () => {
    expect(kind('x\nobj = pickle.load(f)\n', 2, 'X]\nimport os')).toBe('metadata');
  });

  test('for outputs, markdown, raw cells and findings without a source line', () => {
    const source = 'print(key)\nprint(2)\n';
    expect(suppressionFor(item({ output: 0 }), code(source)).kind).toBe('metadata');
    expect(suppressionFor(item({ line: null }), code(source)).kind).toBe('metadata');
    expect(suppressionFor(item(), { type: 'markdown', source, metadata: {} }).kind).toBe('metadata');
    expect(suppressionFor(item(), { type: 'raw', source, metadata: {} }).kind).toBe('metadata');
  });
});

describe('cell metadata', () => {
  function metadataOf(metadata: Record<string, unknown>, rule = RULE): Record<string, unknown> {
    const edit = suppressionFor(item({ output: 0 }, rule), code('print(1)', metadata));
    if (edit.kind !== 'metadata') {
      throw new Error('expected a metadata edit');
    }
    return edit.metadata;
  }

  test('adds nbsec.ignore, keeps the other keys, and never mutates the input', () => {
    const input = deepFreeze({ tags: ['keep'], nbsec: { note: 'reviewed' }, collapsed: true });
    const result = metadataOf(input);
    expect(result).toEqual({ tags: ['keep'], nbsec: { note: 'reviewed', ignore: [RULE] }, collapsed: true });
    expect(result).not.toBe(input);
    expect(input).toEqual({ tags: ['keep'], nbsec: { note: 'reviewed' }, collapsed: true });
    expect(ignores(cellIgnores(result), RULE)).toBe(true);
  });

  test('appends to an existing list once', () => {
    const input = deepFreeze({ nbsec: { ignore: ['NBSEC-NB-001'] } });
    const once = metadataOf(input);
    expect(once).toEqual({ nbsec: { ignore: ['NBSEC-NB-001', RULE] } });
    expect(metadataOf(once)).toEqual(once);
    expect(metadataOf({ nbsec: { ignore: ['nbsec-nb-002 '] } })).toEqual({ nbsec: { ignore: ['nbsec-nb-002 '] } });
  });

  test('`ignore: true` and a "*" already cover every rule and stay', () => {
    expect(metadataOf(deepFreeze({ nbsec: { ignore: true } }))).toEqual({ nbsec: { ignore: true } });
    expect(metadataOf(deepFreeze({ nbsec: { ignore: ['*'] } }))).toEqual({ nbsec: { ignore: ['*'] } });
  });

  test('a single string becomes a list', () => {
    expect(metadataOf(deepFreeze({ nbsec: { ignore: 'NBSEC-NB-001' } }))).toEqual({
      nbsec: { ignore: ['NBSEC-NB-001', RULE] }
    });
    expect(metadataOf({ nbsec: { ignore: RULE } })).toEqual({ nbsec: { ignore: [RULE] } });
  });

  test('values the CLI does not read are replaced by a list it does', () => {
    expect(metadataOf({ nbsec: { ignore: false } })).toEqual({ nbsec: { ignore: [RULE] } });
    expect(metadataOf({ nbsec: 'x' })).toEqual({ nbsec: { ignore: [RULE] } });
  });

  test('withMetadataIgnore and withInlineIgnore are usable on their own', () => {
    expect(withMetadataIgnore({}, RULE)).toEqual({ nbsec: { ignore: [RULE] } });
    expect(withInlineIgnore('a\n', 3, RULE)).toBeNull();
  });
});

describe('reading suppressions back as the CLI does', () => {
  test('inlineIgnores', () => {
    expect([...inlineIgnores('x = 1  # nbsec: ignore[a, NBSEC-NB-002 ,]')].sort()).toEqual(['A', 'NBSEC-NB-002']);
    expect([...inlineIgnores('x  # nbsec: ignore')]).toEqual(['*']);
    expect([...inlineIgnores('x  # nbsec ignore')]).toEqual([]);
  });

  test('cellIgnores', () => {
    expect([...cellIgnores({ nbsec: { ignore: ['a', ' ', 'b '] } })].sort()).toEqual(['A', 'B']);
    expect([...cellIgnores({ nbsec: { ignore: true } })]).toEqual(['*']);
    expect([...cellIgnores({ nbsec: { ignore: 'x' } })]).toEqual(['X']);
    expect([...cellIgnores({ nbsec: ['x'] })]).toEqual([]);
    expect([...cellIgnores(null)]).toEqual([]);
  });
});
