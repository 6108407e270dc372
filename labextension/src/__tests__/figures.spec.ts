import * as fs from 'fs';
import * as path from 'path';

import { MAX_POINTS, MAX_SERIES, isPngDataUri, renderFigure } from '../figures';
import type { Figure, NbsecReportV1 } from '../report-types';

const sample: NbsecReportV1 = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'report-sample.json'), 'utf-8'));

function figure(kind: string): Figure {
  const found = (sample.figures ?? []).find(f => f.kind === kind);
  if (!found) {
    throw new Error(`the sample has no ${kind} figure`);
  }
  return JSON.parse(JSON.stringify(found));
}

function texts(root: Element, selector: string): string[] {
  return Array.from(root.querySelectorAll(selector), el => el.textContent ?? '');
}

function pointCount(root: Element): number {
  return Array.from(root.querySelectorAll('polyline')).reduce((n, line) => n + (line.getAttribute('points') ?? '').trim().split(/\s+/).filter(Boolean).length, 0);
}

describe('line figures', () => {
  test('draw one line per series with axes, ticks, legend, title and note', () => {
    const fig = figure('line');
    const node = renderFigure(fig);
    const chart = node.querySelector('svg.nbsec-chart');
    expect(chart).not.toBeNull();
    expect(node.querySelector('figcaption')?.textContent).toBe('Robust accuracy vs epsilon (linf)');
    // two series: "pgd = apgd-ce" (5 points) and "fgsm" (4 points then a null)
    expect(node.querySelectorAll('polyline')).toHaveLength(2);
    expect(pointCount(node)).toBe(9);
    expect(node.querySelectorAll('circle')).toHaveLength(9);
    const legend = texts(node, '.nbsec-svg-legend text').join(' ');
    expect(legend).toContain('pgd = apgd-ce');
    expect(legend).toContain('fgsm');
    expect(texts(node, '.nbsec-svg-ticks text')).toEqual(['0', '0.05', '0.1', '0.2', '0.3']);
    expect(texts(node, '.nbsec-svg-grid text')).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(texts(node, '.nbsec-svg-axis-title')).toEqual(['epsilon (linf)', 'accuracy']);
    expect(node.querySelector('.nbsec-figure-note')?.textContent).toContain('identical robust accuracy');
  });

  test('a null in the middle of a series splits the line', () => {
    const node = renderFigure({ id: 'g', title: 'gaps', kind: 'line', data: { series: [{ name: 's', x: [0, 1, 2, 3, 4], y: [1, 2, null, 3, 4] }] } });
    const lines = node.querySelectorAll('polyline');
    expect(lines).toHaveLength(2);
    expect(pointCount(node)).toBe(4);
  });

  test('the work is bounded: at most MAX_SERIES series and MAX_POINTS points, and it says so', () => {
    const many = Array.from({ length: MAX_SERIES + 10 }, (_, i) => ({ name: `s${i}`, x: [0, 1], y: [i, i + 1] }));
    const wide = renderFigure({ id: 'many', title: 'many', kind: 'line', data: { series: many } });
    expect(wide.querySelectorAll('g.nbsec-svg-series')).toHaveLength(MAX_SERIES);
    expect(wide.textContent).toContain(`only the first ${MAX_SERIES} series`);

    const xs = Array.from({ length: 4000 }, (_, i) => i);
    const long = renderFigure({ id: 'long', title: 'long', kind: 'line', data: { series: [{ name: 'a', x: xs, y: xs }, { name: 'b', x: xs, y: xs }] } });
    expect(pointCount(long)).toBe(MAX_POINTS);
    expect(long.querySelectorAll('circle')).toHaveLength(0); // no markers on long series
  });
});

describe('bar figures', () => {
  test('draw one bar per value (none for null) with category labels and legend', () => {
    const node = renderFigure(figure('bar'));
    expect(node.querySelector('svg.nbsec-chart')).not.toBeNull();
    // clean: 4 values; pgd: 3 values and a null
    expect(node.querySelectorAll('rect.nbsec-svg-bar')).toHaveLength(7);
    const labels = Array.from(node.querySelectorAll('.nbsec-svg-ticks > text'), el => el.firstChild?.textContent);
    expect(labels).toEqual(['0', '1', '2', '3']);
    const titles = texts(node, 'rect.nbsec-svg-bar > title');
    expect(titles).toContain('clean 0: 0.99');
    expect(titles).toContain('pgd 3: 0.3');
    expect(texts(node, '.nbsec-svg-legend text')).toEqual(['clean', 'pgd']);
  });

  test('bars of negative values hang from zero', () => {
    const node = renderFigure({ id: 'neg', title: 'neg', kind: 'bar', data: { categories: ['a', 'b'], series: [{ name: 'd', values: [-1, 1] }] } });
    const [neg, pos] = Array.from(node.querySelectorAll('rect.nbsec-svg-bar'));
    expect(Number(neg.getAttribute('y'))).toBeCloseTo(Number(pos.getAttribute('y')) + Number(pos.getAttribute('height')), 0);
  });
});

describe('image-grid figures', () => {
  test('draw inline PNGs with column headers, row labels and captions', () => {
    const fig = figure('image-grid');
    const node = renderFigure(fig);
    const images = node.querySelectorAll('img');
    expect(images).toHaveLength(3);
    images.forEach(img => expect(img.getAttribute('src')).toMatch(/^data:image\/png;base64,/));
    expect(texts(node, 'thead th')).toEqual(['', 'clean', 'adversarial', 'perturbation']);
    expect(texts(node, 'tbody th')).toEqual(['label 3']);
    expect(images[0].alt).toBe('clean: predicted 3');
  });

  test.each([
    'https://evil.example/pixel.png',
    'javascript:alert(1)',
    'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
    'data:image/png;base64,AAAA"><img src=x onerror=alert(1)>',
    'data:image/png;base64,AAAA\n',
    'DATA:image/png;base64,AAAA',
    ''
  ])('refuses the image src %j', src => {
    const node = renderFigure({ id: 'bad', title: 't', kind: 'image-grid', data: { rows: [{ label: 'r', images: [{ src, caption: 'cap' }] }] } });
    expect(node.querySelector('img')).toBeNull();
    expect(node.textContent).toContain('image left out');
    expect(node.textContent).toContain('cap');
    expect(isPngDataUri(src)).toBe(false);
  });
});

describe('malformed figures render a note and never throw', () => {
  test.each<[string, unknown]>([
    ['not an object', 'line'],
    ['null', null],
    ['no data', { id: 'x', title: 't', kind: 'line' }],
    ['data is a list', { id: 'x', title: 't', kind: 'line', data: [] }],
    ['series is not a list', { id: 'x', title: 't', kind: 'line', data: { series: 'abc' } }],
    ['series entry without x', { id: 'x', title: 't', kind: 'line', data: { series: [{ name: 'a', y: [1] }] } }],
    ['line with no numbers', { id: 'x', title: 't', kind: 'line', data: { series: [{ name: 'a', x: ['a'], y: [1] }] } }],
    ['bar without categories', { id: 'x', title: 't', kind: 'bar', data: { series: [] } }],
    ['bar series without values', { id: 'x', title: 't', kind: 'bar', data: { categories: ['a'], series: [{ name: 'a' }] } }],
    ['grid rows not a list', { id: 'x', title: 't', kind: 'image-grid', data: { rows: {} } }],
    ['grid row without images', { id: 'x', title: 't', kind: 'image-grid', data: { rows: [{ label: 'a' }] } }],
    ['unknown kind', { id: 'x', title: 't', kind: 'pie', data: {} }]
  ])('%s', (_, fig) => {
    let node: HTMLElement | undefined;
    expect(() => {
      node = renderFigure(fig as Figure);
    }).not.toThrow();
    expect(node?.querySelector('.nbsec-figure-note')).not.toBeNull();
    expect(node?.querySelector('svg')).toBeNull();
  });
});

test('figure text from data stays text', () => {
  const payload = '<img src=x onerror=alert(1)><script>window.__pwned=1</script>';
  const node = renderFigure({
    id: '"><svg onload=alert(1)>',
    title: payload,
    kind: 'bar',
    data: { x_label: payload, y_label: payload, note: payload, categories: [payload], series: [{ name: payload, values: [1] }] }
  });
  expect(node.querySelector('img, script')).toBeNull();
  expect(node.querySelectorAll('svg')).toHaveLength(1);
  expect(node.hasAttribute('id')).toBe(false);
  expect(node.dataset.figureId).toBe('"><svg onload=alert(1)>');
  expect(node.querySelector('figcaption')?.textContent).toBe(payload);
  for (const el of Array.from(node.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      expect(attr.name.toLowerCase().startsWith('on')).toBe(false);
    }
  }
});
