// A Report's figures (robustness curves, per-class bars, example grids) drawn as inline SVG and inline
// PNGs, the same drawings nbsec/display/svg.py makes for the HTML views, without a plotting library or
// anything fetched. Figure data comes from a report file, so its shape is checked as it is read: a
// malformed figure becomes a short note, never an exception, and the work is bounded (series, points,
// rows) so a huge figure cannot freeze the page. Labels are text nodes; an image is drawn only when its
// src is an inline base64 PNG.
import { h, svg } from './dom';
import type { Figure } from './report-types';
import { isRecord } from './json';

export const MAX_SERIES = 50;
export const MAX_POINTS = 5000;
export const MAX_CATEGORIES = 200;
export const MAX_GRID_ROWS = 64;
export const MAX_GRID_IMAGES = 8;
const MAX_IMAGE_CHARS = 2_000_000;

export const PNG_DATA_URI = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;

const WIDTH = 640;
const HEIGHT = 300;
const LEFT = 56;
const RIGHT = 170;
const TOP = 16;
const BOTTOM = 44;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
const LEGEND_CHARS = 24;
const PALETTE_SIZE = 8; // .nbsec-series-0 ... -7 in report.css, coloured from the theme

/** Whether `src` is an inline PNG, the only image source a figure may use (never a URL that would be fetched). */
export function isPngDataUri(src: unknown): src is string {
  return typeof src === 'string' && src.length <= MAX_IMAGE_CHARS && PNG_DATA_URI.test(src);
}

type Dict = Record<string, unknown>;


function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A short number for ticks: 3 significant digits, like Python's `:.3g`. */
export function formatTick(value: number): string {
  if (value === 0) {
    return '0';
  }
  return String(Number(value.toPrecision(3)));
}

class FigureDataError extends Error {}

function note(message: string): HTMLElement {
  return h('p', { className: 'nbsec-figure-note' }, message);
}

/** The figure as a <figure> with its title as caption; malformed data gives a note in place of the drawing. */
export function renderFigure(fig: Figure | unknown): HTMLElement {
  const figure = h('figure', { className: 'nbsec-figure' });
  if (!isRecord(fig)) {
    figure.appendChild(note('(figure data not readable)'));
    return figure;
  }
  const title = text(fig.title);
  if (typeof fig.id === 'string') {
    // A data attribute, not an id: data must not be able to clobber element ids on the page.
    figure.dataset.figureId = fig.id;
  }
  figure.appendChild(h('figcaption', { className: 'nbsec-figure-title' }, title));
  try {
    if (!isRecord(fig.data)) {
      throw new FigureDataError('no data');
    }
    const body = drawBody(String(fig.kind), title, fig.data);
    figure.appendChild(body);
    if (typeof fig.data.note === 'string' && fig.data.note) {
      figure.appendChild(note(fig.data.note));
    }
  } catch (error) {
    // Anything unexpected in the data (or a bug in the drawing) costs the figure, not the report.
    const message = error instanceof FigureDataError ? error.message : 'figure data not readable';
    figure.appendChild(note(`(${message})`));
  }
  return figure;
}

function drawBody(kind: string, title: string, data: Dict): Element {
  switch (kind) {
    case 'line':
      return lineChart(title, data);
    case 'bar':
      return barChart(title, data);
    case 'image-grid':
      return imageGrid(data);
    default:
      throw new FigureDataError(`figure kind ${JSON.stringify(kind.slice(0, 40))} is not supported`);
  }
}

// -- charts -------------------------------------------------------------------------------------------

interface YRange {
  low: number;
  high: number;
}

function yRange(data: Dict, values: number[]): YRange {
  const given = data.y_range;
  if (Array.isArray(given) && given.length === 2 && isFiniteNumber(given[0]) && isFiniteNumber(given[1]) && given[1] > given[0]) {
    return { low: given[0], high: given[1] };
  }
  if (values.length === 0) {
    return { low: 0, high: 1 };
  }
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  return high > low ? { low, high } : { low: low - 1, high: high + 1 };
}

function seriesClass(index: number): string {
  return `nbsec-series-${index % PALETTE_SIZE}`;
}

/** Wraps a legend entry: merged names ("pgd = apgd-ce") break at " = ", else every LEGEND_CHARS; at most 3 lines. */
export function wrapLabel(name: string): string[] {
  const lines: string[] = [];
  name.split(' = ').forEach((word, i) => {
    let piece = i === 0 ? word : `= ${word}`;
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + piece.length <= LEGEND_CHARS) {
      lines[last] = `${lines[last]} ${piece}`;
      return;
    }
    while (piece.length > LEGEND_CHARS) {
      lines.push(piece.slice(0, LEGEND_CHARS));
      piece = piece.slice(LEGEND_CHARS);
    }
    lines.push(piece);
  });
  if (lines.length > 3) {
    return [...lines.slice(0, 2), `${lines[2].slice(0, LEGEND_CHARS - 1)}…`];
  }
  return lines.length ? lines : [''];
}

/** The colour key to the right of the plot; returns the y below its last entry. */
function legend(root: SVGSVGElement, names: string[]): number {
  const x = WIDTH - RIGHT + 12;
  let y = TOP;
  const group = svg('g', { class: 'nbsec-svg-legend' });
  names.forEach((name, i) => {
    const lines = wrapLabel(name);
    group.appendChild(svg('rect', { class: `nbsec-svg-swatch ${seriesClass(i)}`, x, y, width: 12, height: 12 }, svg('title', null, name)));
    lines.forEach((line, k) => {
      group.appendChild(svg('text', { x: x + 18, y: y + 11 + 14 * k, 'font-size': 11 }, line));
    });
    y += 14 * lines.length + 6;
  });
  root.appendChild(group);
  return y;
}

function chartRoot(title: string): SVGSVGElement {
  return svg('svg', {
    class: 'nbsec-chart',
    role: 'img',
    'aria-label': title,
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    fill: 'currentColor',
    'font-size': 12
  });
}

/** Grows the drawing when the legend is taller than the plot (many series). */
function fitLegend(root: SVGSVGElement, legendBottom: number): void {
  const height = Math.max(HEIGHT, Math.ceil(legendBottom + 8));
  root.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  root.setAttribute('height', String(height));
}

/** Axes, horizontal grid lines with y labels, and the axis titles. */
function frame(root: SVGSVGElement, data: Dict, range: YRange): void {
  const grid = svg('g', { class: 'nbsec-svg-grid' });
  for (let i = 0; i <= 5; i++) {
    const value = range.low + ((range.high - range.low) * i) / 5;
    const y = (TOP + PLOT_H * (1 - i / 5)).toFixed(1);
    grid.appendChild(svg('line', { class: 'nbsec-svg-gridline', x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, stroke: 'currentColor', 'stroke-opacity': 0.2 }));
    grid.appendChild(svg('text', { x: LEFT - 6, y: (Number(y) + 4).toFixed(1), 'text-anchor': 'end' }, formatTick(value)));
  }
  root.appendChild(grid);
  root.appendChild(svg('line', { class: 'nbsec-svg-axis', x1: LEFT, x2: LEFT, y1: TOP, y2: HEIGHT - BOTTOM, stroke: 'currentColor' }));
  root.appendChild(svg('line', { class: 'nbsec-svg-axis', x1: LEFT, x2: WIDTH - RIGHT, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM, stroke: 'currentColor' }));
  root.appendChild(svg('text', { class: 'nbsec-svg-axis-title', x: Math.round((LEFT + WIDTH - RIGHT) / 2), y: HEIGHT - 6, 'text-anchor': 'middle' }, text(data.x_label)));
  root.appendChild(
    svg('text', { class: 'nbsec-svg-axis-title', transform: `translate(14 ${Math.round((TOP + HEIGHT - BOTTOM) / 2)}) rotate(-90)`, 'text-anchor': 'middle' }, text(data.y_label))
  );
}

interface LineSeries {
  name: string;
  points: Array<[number, number | null]>;
}

/** The line series that are readable, within MAX_SERIES and MAX_POINTS; says when some were left out. */
function readLineSeries(data: Dict): { series: LineSeries[]; truncated: boolean } {
  if (!Array.isArray(data.series)) {
    throw new FigureDataError('figure data not readable: no series');
  }
  const series: LineSeries[] = [];
  let budget = MAX_POINTS;
  let truncated = data.series.length > MAX_SERIES;
  for (const raw of data.series.slice(0, MAX_SERIES)) {
    if (!isRecord(raw) || !Array.isArray(raw.x) || !Array.isArray(raw.y)) {
      throw new FigureDataError('figure data not readable: a series without x and y');
    }
    const count = Math.min(raw.x.length, raw.y.length, budget);
    truncated = truncated || count < Math.min(raw.x.length, raw.y.length);
    const points: Array<[number, number | null]> = [];
    for (let i = 0; i < count; i++) {
      const x = raw.x[i];
      const y = raw.y[i];
      if (!isFiniteNumber(x)) {
        continue;
      }
      points.push([x, isFiniteNumber(y) ? y : null]); // null (or NaN) is a gap in the line
    }
    budget -= count;
    series.push({ name: text(raw.name), points });
  }
  return { series, truncated };
}

function lineChart(title: string, data: Dict): Element {
  const { series, truncated } = readLineSeries(data);
  const xs = series.flatMap(s => s.points.map(p => p[0]));
  const ys = series.flatMap(s => s.points.map(p => p[1]).filter(isFiniteNumber));
  if (xs.length === 0) {
    throw new FigureDataError('no data');
  }
  const xLow = Math.min(...xs);
  const xMax = Math.max(...xs);
  const xHigh = xMax > xLow ? xMax : xLow + 1;
  const range = yRange(data, ys);
  const px = (x: number) => LEFT + (PLOT_W * (x - xLow)) / (xHigh - xLow);
  const py = (y: number) => TOP + PLOT_H * (1 - (y - range.low) / (range.high - range.low));

  const root = chartRoot(title);
  frame(root, data, range);
  const distinct = Array.from(new Set(xs)).sort((a, b) => a - b);
  const ticks = distinct.length <= 8 ? distinct : [0, 1, 2, 3, 4, 5].map(i => xLow + ((xHigh - xLow) * i) / 5);
  const tickGroup = svg('g', { class: 'nbsec-svg-ticks' });
  for (const t of ticks) {
    const x = px(t).toFixed(1);
    tickGroup.appendChild(svg('line', { x1: x, x2: x, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM + 4, stroke: 'currentColor' }));
    tickGroup.appendChild(svg('text', { x, y: HEIGHT - BOTTOM + 16, 'text-anchor': 'middle' }, formatTick(t)));
  }
  root.appendChild(tickGroup);

  series.forEach((s, i) => {
    const group = svg('g', { class: `nbsec-svg-series ${seriesClass(i)}` }, svg('title', null, s.name));
    // A null y splits the line: each run of defined points is its own polyline.
    let run: string[] = [];
    const flush = () => {
      if (run.length) {
        const attrs: Record<string, string | number> = { class: `nbsec-svg-line ${seriesClass(i)}`, points: run.join(' '), fill: 'none', stroke: 'currentColor', 'stroke-width': 2 };
        if (s.name === 'worst' || s.name === 'chance') {
          attrs['stroke-dasharray'] = '6 4';
        }
        group.appendChild(svg('polyline', attrs));
      }
      run = [];
    };
    const defined = s.points.filter(p => p[1] !== null).length;
    for (const [x, y] of s.points) {
      if (y === null) {
        flush();
        continue;
      }
      const cx = px(x).toFixed(1);
      const cy = py(y).toFixed(1);
      run.push(`${cx},${cy}`);
      if (defined <= 30) {
        group.appendChild(svg('circle', { class: `nbsec-svg-mark ${seriesClass(i)}`, cx, cy, r: 3 }));
      }
    }
    flush();
    root.appendChild(group);
  });
  fitLegend(root, legend(root, series.map(s => s.name)));
  return withTruncationNote(root, truncated);
}

function withTruncationNote(drawing: Element, truncated: boolean): Element {
  if (!truncated) {
    return drawing;
  }
  const wrapper = h('div', { className: 'nbsec-figure-body' });
  wrapper.appendChild(drawing);
  wrapper.appendChild(note(`(only the first ${MAX_SERIES} series and ${MAX_POINTS} points are drawn)`));
  return wrapper;
}

function barChart(title: string, data: Dict): Element {
  if (!Array.isArray(data.categories) || !Array.isArray(data.series)) {
    throw new FigureDataError('figure data not readable: no categories or series');
  }
  const categories = data.categories.slice(0, MAX_CATEGORIES).map(c => (typeof c === 'string' ? c : String(c)));
  const rawSeries = data.series.slice(0, MAX_SERIES);
  if (rawSeries.some(s => !isRecord(s) || !Array.isArray(s.values))) {
    throw new FigureDataError('figure data not readable: a series without values');
  }
  const series = (rawSeries as Dict[]).map(s => ({ name: text(s.name), values: (s.values as unknown[]).slice(0, categories.length) }));
  if (categories.length === 0 || series.length === 0) {
    throw new FigureDataError('no data');
  }
  // Bound the bars drawn: categories x series at most MAX_POINTS.
  const perSeries = Math.max(1, Math.floor(MAX_POINTS / series.length));
  const shownCategories = categories.slice(0, perSeries);
  const truncated = data.categories.length > shownCategories.length || data.series.length > series.length;
  const values = series.flatMap(s => s.values.slice(0, shownCategories.length).filter(isFiniteNumber));
  const range = yRange(data, values);
  range.low = Math.min(range.low, 0);
  const py = (y: number) => TOP + PLOT_H * (1 - (y - range.low) / (range.high - range.low));
  const base = py(0);

  const root = chartRoot(title);
  frame(root, data, range);
  const group = PLOT_W / shownCategories.length;
  const width = (group * 0.8) / series.length;
  const labelEvery = Math.max(1, Math.ceil(shownCategories.length / 16)); // keep tick labels from overlapping
  const ticks = svg('g', { class: 'nbsec-svg-ticks' });
  const bars = svg('g', { class: 'nbsec-svg-bars' });
  shownCategories.forEach((category, c) => {
    const x0 = LEFT + group * c + group * 0.1;
    if (c % labelEvery === 0) {
      const label = category.length > 12 ? `${category.slice(0, 11)}…` : category;
      ticks.appendChild(svg('text', { x: (x0 + group * 0.4).toFixed(1), y: HEIGHT - BOTTOM + 16, 'text-anchor': 'middle' }, label, svg('title', null, category)));
    }
    series.forEach((s, i) => {
      const value = s.values[c];
      if (!isFiniteNumber(value)) {
        return; // null: no bar for this category
      }
      const top = py(value);
      bars.appendChild(
        svg(
          'rect',
          {
            class: `nbsec-svg-bar ${seriesClass(i)}`,
            x: (x0 + width * i).toFixed(1),
            y: Math.min(top, base).toFixed(1),
            width: Math.max(width - 1, 1).toFixed(1),
            height: Math.abs(base - top).toFixed(1)
          },
          svg('title', null, `${s.name} ${category}: ${formatTick(value)}`)
        )
      );
    });
  });
  root.appendChild(ticks);
  root.appendChild(bars);
  fitLegend(root, legend(root, series.map(s => s.name)));
  return withTruncationNote(root, truncated);
}

// -- image grid ---------------------------------------------------------------------------------------

function imageGrid(data: Dict): Element {
  if (!Array.isArray(data.rows)) {
    throw new FigureDataError('figure data not readable: no rows');
  }
  const table = h('table', { className: 'nbsec-grid' });
  const columns = Array.isArray(data.columns) ? data.columns.slice(0, MAX_GRID_IMAGES).map(text) : [];
  if (columns.length) {
    table.appendChild(h('thead', null, h('tr', null, h('th', null), columns.map(c => h('th', { attrs: { scope: 'col' } }, c)))));
  }
  const body = h('tbody');
  for (const row of data.rows.slice(0, MAX_GRID_ROWS)) {
    if (!isRecord(row) || !Array.isArray(row.images)) {
      throw new FigureDataError('figure data not readable: a row without images');
    }
    const tr = h('tr', null, h('th', { attrs: { scope: 'row' } }, text(row.label)));
    for (const image of row.images.slice(0, MAX_GRID_IMAGES)) {
      tr.appendChild(gridCell(image));
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  if (data.rows.length > MAX_GRID_ROWS) {
    const wrapper = h('div', { className: 'nbsec-figure-body' }, table);
    wrapper.appendChild(note(`(only the first ${MAX_GRID_ROWS} of ${data.rows.length} rows are shown)`));
    return wrapper;
  }
  return table;
}

function gridCell(image: unknown): HTMLElement {
  const caption = isRecord(image) ? text(image.caption) : '';
  const src = isRecord(image) ? image.src : undefined;
  if (!isPngDataUri(src)) {
    // Only inline PNGs are drawn: a URL would be fetched when the report opens, anything else is not an image.
    return h('td', { className: 'nbsec-grid-cell' }, h('span', { className: 'nbsec-figure-note' }, '(image left out: not an inline PNG)'), h('br'), h('small', null, caption));
  }
  const img = document.createElement('img');
  img.className = 'nbsec-grid-image';
  img.alt = caption;
  img.src = src; // checked above against PNG_DATA_URI: nothing but base64 PNG bytes
  return h('td', { className: 'nbsec-grid-cell' }, img, h('br'), h('small', null, caption));
}
