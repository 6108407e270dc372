import { h, link, safeHttpUrl, svg } from '../dom';

describe('h', () => {
  test('builds an element with class, title, data and plain attributes', () => {
    const el = h('button', { className: 'nbsec-chip', title: 'Show', dataset: { severity: 'high' }, attrs: { type: 'button', 'aria-pressed': 'true', tabindex: 0 } });
    expect(el.tagName).toBe('BUTTON');
    expect(el.className).toBe('nbsec-chip');
    expect(el.title).toBe('Show');
    expect(el.dataset.severity).toBe('high');
    expect(el.getAttribute('aria-pressed')).toBe('true');
    expect(el.getAttribute('tabindex')).toBe('0');
  });

  test('strings become text, never markup', () => {
    const payload = '<img src=x onerror=alert(1)><script>window.__pwned=1</script>';
    const el = h('div', null, payload, h('span', null, '"><svg onload=alert(1)>'));
    expect(el.querySelector('img, script, svg')).toBeNull();
    expect(el.childNodes[0].nodeType).toBe(Node.TEXT_NODE);
    expect(el.textContent).toBe(`${payload}"><svg onload=alert(1)>`);
  });

  test('skips null, undefined and false children and flattens lists', () => {
    const el = h('ul', null, null, undefined, false, [h('li', null, 'a'), [h('li', null, 'b'), null]], 'c');
    expect(el.querySelectorAll('li')).toHaveLength(2);
    expect(el.textContent).toBe('abc');
  });

  test.each(['onclick', 'ONLOAD', 'onError', 'href', 'src', 'HREF', 'srcdoc', 'xlink:href', 'formaction', 'style'])(
    'refuses the attribute %s',
    name => {
      expect(() => h('div', { attrs: { [name]: 'alert(1)' } })).toThrow(/refusing/);
    }
  );

  test('refuses attribute names that are not names', () => {
    expect(() => h('div', { attrs: { 'a b': 'x' } })).toThrow();
    expect(() => h('div', { dataset: { 'x y': 'z' } })).toThrow();
  });

  test('false leaves a boolean attribute out, true sets it empty', () => {
    const el = h('input', { attrs: { disabled: true, checked: false } });
    expect(el.getAttribute('disabled')).toBe('');
    expect(el.hasAttribute('checked')).toBe(false);
  });
});

describe('svg', () => {
  test('creates SVG-namespaced elements with text children', () => {
    const root = svg('svg', { viewBox: '0 0 10 10' }, svg('text', { x: 1, y: 2 }, '<script>x</script>'));
    expect(root.namespaceURI).toBe('http://www.w3.org/2000/svg');
    expect(root.querySelector('script')).toBeNull();
    expect(root.textContent).toBe('<script>x</script>');
  });

  test('refuses handlers and URLs on SVG elements too', () => {
    expect(() => svg('svg', { onload: 'alert(1)' })).toThrow(/refusing/);
    expect(() => svg('a', { href: 'javascript:alert(1)' })).toThrow(/refusing/);
  });
});

describe('link', () => {
  test('http and https URLs become links that open apart from the page', () => {
    const a = link('CWE-502', 'https://cwe.mitre.org/data/definitions/502.html');
    expect(a).toBeInstanceOf(HTMLAnchorElement);
    expect(a.getAttribute('href')).toBe('https://cwe.mitre.org/data/definitions/502.html');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.textContent).toBe('CWE-502');
    expect((link('x', 'http://example.org/a b') as HTMLAnchorElement).getAttribute('href')).toBe('http://example.org/a%20b');
  });

  test.each([
    'javascript:alert(1)',
    ' JaVaScRiPt:alert(1)',
    'java\nscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '/relative/path',
    '//evil.example/x',
    '',
    'not a url'
  ])('%j becomes plain text', url => {
    const el = link('<b>label</b>', url);
    expect(el.tagName).toBe('SPAN');
    expect(el.hasAttribute('href')).toBe(false);
    expect(el.textContent).toBe('<b>label</b>');
  });

  test('non-strings are not URLs', () => {
    expect(safeHttpUrl(undefined)).toBeNull();
    expect(safeHttpUrl({ toString: () => 'https://x.example' })).toBeNull();
    expect(safeHttpUrl('https://x.example')).toBe('https://x.example/');
  });
});
