// Draws an nbsec threat model (ThreatModel.to_dict(), nbsec/threatmodel/document.py) as DOM: title,
// owner and description, a small diagram, zones with their elements, flows (those crossing a trust
// boundary marked), system-wide controls and the review's threat decisions.
//
// A threat model comes from a notebook someone else may have written: every value in it is set as text
// (textContent), class names are chosen from fixed lists, and no attribute name comes from the data.
// Malformed data gives an error box; this module never throws to its caller.

import { Child, h, svg as svgElement } from './dom';
import { isRecord } from './json';
import { plural } from './report-sections';
import { threatModelProblem } from './threatmodel-notebook';

export interface ThreatModelViewOptions {
  /** The model shown is the one saved in the notebook's metadata (metadata.nbsec.threat_model). */
  savedInMetadata?: boolean;
  /**
   * Show the header and a hint, with the model inside a closed <details>: for notebook outputs, where
   * `%aisec threatmodel` already shows the live builder above the snapshot.
   */
  collapsed?: boolean;
}

const TRUST_LEVELS = ['untrusted', 'internal', 'restricted'];
const STATUSES = ['open', 'mitigated', 'accepted', 'transferred', 'not-applicable'];
const DEFAULT_ZONE = 'internal';
// Zone ids that mean "outside" when the model does not declare them (ThreatModel.zone_trust).
const UNTRUSTED_ZONE_IDS = ['internet', 'public', 'untrusted'];
// Above this the diagram is a tangle rather than a help; the lists below still show everything.
const DIAGRAM_MAX_ELEMENTS = 60;

interface Zone {
  id: string;
  name: string;
  trust: string;
  description: string;
}

interface Element {
  id: string;
  kind: string;
  name: string;
  zone: string;
  stage: string;
  description: string;
  attributes: Record<string, unknown>;
  controls: string[];
}

interface Flow {
  id: string;
  from: string;
  to: string;
  name: string;
  data: string;
  attributes: Record<string, unknown>;
  controls: string[];
}

interface Model {
  title: string;
  owner: string;
  description: string;
  zones: Zone[];
  elements: Element[];
  flows: Flow[];
  controls: string[];
  threats: Record<string, unknown>[];
}

export function renderThreatModel(data: unknown, options: ThreatModelViewOptions = {}): HTMLElement {
  try {
    const problem = threatModelProblem(data);
    if (problem !== null) {
      return errorBox(`This is not an nbsec threat model: ${problem}.`);
    }
    return renderModel(readModel(data as Record<string, unknown>), options);
  } catch (error) {
    // A bug here must not take the notebook's output area down with it.
    return errorBox(`The threat model could not be shown: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// --------------------------------------------------------------------------- reading

/** Python's str() of a scalar (the loader's `text`); lists and objects are not text. */
function text(value: unknown, fallback = ''): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return fallback;
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.map(v => text(v)).filter(Boolean) : [];
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function readModel(data: Record<string, unknown>): Model {
  return {
    title: text(data.title) || 'Untitled AI system',
    owner: text(data.owner),
    description: text(data.description),
    zones: records(data.zones).map(z => ({
      id: text(z.id),
      name: text(z.name),
      trust: text(z.trust, 'internal') || 'internal',
      description: text(z.description)
    })),
    elements: records(data.elements).map(e => ({
      id: text(e.id),
      kind: text(e.kind),
      name: text(e.name),
      zone: e.zone === undefined || e.zone === null ? DEFAULT_ZONE : text(e.zone),
      stage: text(e.stage),
      description: text(e.description),
      attributes: isRecord(e.attributes) ? e.attributes : {},
      controls: texts(e.controls)
    })),
    flows: records(data.flows).map(f => ({
      id: text(f.id),
      from: text(f.from),
      to: text(f.to),
      name: text(f.name),
      data: text(f.data),
      attributes: isRecord(f.attributes) ? f.attributes : {},
      controls: texts(f.controls)
    })),
    controls: texts(data.controls),
    threats: records(data.threats)
  };
}

/** Declared zones first, then the ones elements name without declaring them (ThreatModel.zone_ids). */
function zoneIds(model: Model): string[] {
  const ids = model.zones.map(z => z.id);
  for (const element of model.elements) {
    if (!ids.includes(element.zone)) {
      ids.push(element.zone);
    }
  }
  return ids;
}

function zoneTrust(model: Model, id: string): string {
  const zone = model.zones.find(z => z.id === id);
  if (zone) {
    return zone.trust;
  }
  return UNTRUSTED_ZONE_IDS.includes(id) ? 'untrusted' : 'internal';
}

/** As the threat library decides (conditions.py crosses): a declared crosses_boundary, else the zones differ. */
function crossing(model: Model, flow: Flow): { from: string; to: string } | null {
  const declared = flow.attributes.crosses_boundary;
  const source = model.elements.find(e => e.id === flow.from);
  const target = model.elements.find(e => e.id === flow.to);
  const zones = { from: source?.zone ?? '?', to: target?.zone ?? '?' };
  if (declared !== undefined && declared !== null) {
    return declared ? zones : null;
  }
  return source && target && source.zone !== target.zone ? zones : null;
}

function elementLabel(model: Model, id: string): string {
  const element = model.elements.find(e => e.id === id);
  return element ? element.name || element.id : id;
}

function targetLabel(model: Model, id: string): string {
  const element = model.elements.find(e => e.id === id);
  if (element) {
    return element.name || element.id;
  }
  const flow = model.flows.find(f => f.id === id);
  if (flow) {
    return `${elementLabel(model, flow.from)} → ${elementLabel(model, flow.to)}`;
  }
  return id;
}

function words(identifier: string): string {
  return identifier.replace(/_/g, ' ');
}


// --------------------------------------------------------------------------- DOM helpers


/** An element with a fixed class (never one from the data) and text children. */
// The house's element helper (dom.ts), in the short form this module uses everywhere: a class, then text.
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return h(tag, className ? { className } : null, ...children);
}

/** A class from a fixed list, for values the CSS colours: nothing else from the data reaches a class. */
function known(prefix: string, value: string, allowed: string[]): string {
  return allowed.includes(value) ? `${prefix}${value}` : `${prefix}other`;
}

function chips(values: string[], className: string): HTMLElement {
  const list = el('ul', `nbsec-tm-chips ${className}`);
  for (const value of values) {
    list.appendChild(el('li', 'nbsec-tm-chip', words(value)));
  }
  return list;
}

function attributeChips(attributes: Record<string, unknown>): HTMLElement | null {
  const names = Object.keys(attributes).sort();
  if (!names.length) {
    return null;
  }
  const list = el('ul', 'nbsec-tm-chips nbsec-tm-attributes');
  for (const name of names) {
    const value = attributes[name];
    const shown =
      value === true ? words(name) : value === false ? `not ${words(name)}` : `${words(name)}: ${text(value, '?')}`;
    list.appendChild(el('li', 'nbsec-tm-chip nbsec-tm-attribute', shown));
  }
  return list;
}

function errorBox(message: string): HTMLElement {
  const box = el('div', 'nbsec-tm nbsec-tm-error', el('strong', '', 'nbsec threat model'), el('div', '', message));
  box.setAttribute('role', 'alert');
  return box;
}

// --------------------------------------------------------------------------- sections

function renderModel(model: Model, options: ThreatModelViewOptions): HTMLElement {
  const full = renderModelBody(model, options);
  if (!options.collapsed) {
    return full;
  }
  const head = full.firstElementChild as HTMLElement;
  const details = el('details', 'nbsec-tm-details', el('summary', 'nbsec-tm-summary', 'Show the model'));
  while (head.nextSibling) {
    details.appendChild(head.nextSibling);
  }
  full.appendChild(
    el(
      'p',
      'nbsec-tm-hint',
      'To keep this model in the notebook (nbsec scan checks it there), run "Save the threat model into the notebook" ' +
        'from the command palette.'
    )
  );
  full.appendChild(details);
  return full;
}

function renderModelBody(model: Model, options: ThreatModelViewOptions): HTMLElement {
  const root = el('div', 'nbsec-tm');
  root.appendChild(header(model, options));
  if (model.description) {
    root.appendChild(el('p', 'nbsec-tm-description', model.description));
  }
  if (model.elements.length && model.elements.length <= DIAGRAM_MAX_ELEMENTS) {
    root.appendChild(diagram(model));
  }
  root.appendChild(zonesSection(model));
  if (model.flows.length) {
    root.appendChild(flowsSection(model));
  }
  if (model.controls.length) {
    root.appendChild(
      el(
        'section',
        'nbsec-tm-section nbsec-tm-global-controls',
        el('h4', 'nbsec-tm-heading', 'Controls in place for every element'),
        chips(model.controls, 'nbsec-tm-controls')
      )
    );
  }
  if (model.threats.length) {
    root.appendChild(threatsSection(model));
  }
  return root;
}

function header(model: Model, options: ThreatModelViewOptions): HTMLElement {
  const crossings = model.flows.filter(f => crossing(model, f)).length;
  const counts = [
    plural(model.elements.length, 'element'),
    plural(model.flows.length, 'flow'),
    crossings ? `${crossings} crossing a trust boundary` : null,
    model.threats.length ? plural(model.threats.length, 'threat decision') : null
  ].filter((part): part is string => part !== null);
  return el(
    'div',
    'nbsec-tm-header',
    el('h3', 'nbsec-tm-title', model.title),
    el(
      'div',
      'nbsec-tm-meta',
      model.owner ? el('span', 'nbsec-tm-owner', `Owner: ${model.owner}`) : null,
      el('span', 'nbsec-tm-counts', counts.join(', ')),
      options.savedInMetadata
        ? el('span', 'nbsec-tm-saved', 'Saved in this notebook (metadata.nbsec.threat_model): nbsec scan checks it')
        : null
    )
  );
}

function zonesSection(model: Model): HTMLElement {
  const section = el('section', 'nbsec-tm-section nbsec-tm-zones', el('h4', 'nbsec-tm-heading', 'Zones and elements'));
  for (const id of zoneIds(model)) {
    const zone = model.zones.find(z => z.id === id);
    const trust = zoneTrust(model, id);
    const members = model.elements.filter(e => e.zone === id);
    const box = el(
      'div',
      `nbsec-tm-zone ${known('nbsec-tm-zone-', trust, TRUST_LEVELS)}`,
      el(
        'div',
        'nbsec-tm-zone-title',
        el('strong', '', zone?.name || id),
        zone?.name && zone.name !== id ? el('span', 'nbsec-tm-id', id) : null,
        el('span', `nbsec-tm-trust ${known('nbsec-tm-trust-', trust, TRUST_LEVELS)}`, trust),
        zone ? null : el('span', 'nbsec-tm-note', 'not declared')
      ),
      zone?.description ? el('p', 'nbsec-tm-zone-description', zone.description) : null
    );
    const list = el('ul', 'nbsec-tm-elements');
    for (const element of members) {
      list.appendChild(elementItem(element));
    }
    if (!members.length) {
      list.appendChild(el('li', 'nbsec-tm-empty', 'no elements'));
    }
    box.appendChild(list);
    section.appendChild(box);
  }
  return section;
}

function elementItem(element: Element): HTMLElement {
  return el(
    'li',
    'nbsec-tm-element',
    el(
      'div',
      'nbsec-tm-element-title',
      el('span', 'nbsec-tm-kind', words(element.kind) || 'element'),
      el('strong', 'nbsec-tm-name', element.name || element.id),
      element.name && element.name !== element.id ? el('span', 'nbsec-tm-id', element.id) : null,
      element.stage ? el('span', 'nbsec-tm-stage', `stage: ${element.stage}`) : null
    ),
    element.description ? el('p', 'nbsec-tm-element-description', element.description) : null,
    attributeChips(element.attributes),
    element.controls.length
      ? el(
          'div',
          'nbsec-tm-element-controls',
          el('span', 'nbsec-tm-label', 'Controls: '),
          chips(element.controls, 'nbsec-tm-controls')
        )
      : null
  );
}

function flowsSection(model: Model): HTMLElement {
  const body = el('tbody', '');
  for (const flow of model.flows) {
    const crosses = crossing(model, flow);
    const attributes = { ...flow.attributes };
    delete attributes.crosses_boundary; // shown as the boundary marker
    const row = el(
      'tr',
      crosses ? 'nbsec-tm-flow nbsec-tm-crossing' : 'nbsec-tm-flow',
      el('td', '', endpoint(model, flow.from)),
      el('td', '', endpoint(model, flow.to)),
      el(
        'td',
        '',
        flow.name ? el('div', 'nbsec-tm-flow-name', flow.name) : null,
        flow.data ? el('div', 'nbsec-tm-flow-data', flow.data) : null,
        attributeChips(attributes)
      ),
      el('td', '', flow.controls.length ? chips(flow.controls, 'nbsec-tm-controls') : null),
      el(
        'td',
        '',
        crosses ? el('span', 'nbsec-tm-boundary', `crosses a trust boundary (${crosses.from} → ${crosses.to})`) : null
      )
    );
    body.appendChild(row);
  }
  const head = el(
    'thead',
    '',
    el('tr', '', ...['From', 'To', 'Data', 'Controls', 'Boundary'].map(h => el('th', '', h)))
  );
  return el(
    'section',
    'nbsec-tm-section nbsec-tm-flows',
    el('h4', 'nbsec-tm-heading', 'Data flows'),
    el('table', 'nbsec-tm-table', head, body)
  );
}

function endpoint(model: Model, id: string): HTMLElement {
  const element = model.elements.find(e => e.id === id);
  if (!element) {
    return el('span', 'nbsec-tm-unknown', id || '(none)', el('span', 'nbsec-tm-note', ' no such element'));
  }
  return el(
    'span',
    'nbsec-tm-endpoint',
    el('span', 'nbsec-tm-endpoint-name', element.name || element.id),
    el('span', 'nbsec-tm-zone-of', ` (${element.zone})`)
  );
}

function threatsSection(model: Model): HTMLElement {
  const body = el('tbody', '');
  for (const entry of model.threats) {
    const rule = text(entry.rule);
    const id = text(entry.id);
    const title = text(entry.title);
    const status = text(entry.status, 'open') || 'open';
    const likelihood = text(entry.likelihood);
    const impact = text(entry.impact);
    const details = el(
      'td',
      'nbsec-tm-threat-details',
      ...(
        [
          ['Note', text(entry.note)],
          ['Description', text(entry.description)],
          ['Mitigation', text(entry.mitigation)],
          ['STRIDE', text(entry.stride)],
          ['Risk', likelihood || impact ? `likelihood ${likelihood || '?'}, impact ${impact || '?'}` : '']
        ] as [string, string][]
      )
        .filter(([, value]) => value)
        .map(([label, value]) => el('div', '', el('span', 'nbsec-tm-label', `${label}: `), value))
    );
    body.appendChild(
      el(
        'tr',
        'nbsec-tm-threat',
        el('td', '', el('span', 'nbsec-tm-rule', rule || id), title ? el('div', '', title) : null),
        el('td', '', entry.target === undefined ? '' : targetLabel(model, text(entry.target))),
        el('td', '', el('span', `nbsec-tm-status ${known('nbsec-tm-status-', status, STATUSES)}`, status)),
        el('td', '', text(entry.owner)),
        el('td', '', text(entry.due)),
        details
      )
    );
  }
  const head = el(
    'thead',
    '',
    el('tr', '', ...['Threat', 'Target', 'Status', 'Owner', 'Due', 'Details'].map(h => el('th', '', h)))
  );
  return el(
    'section',
    'nbsec-tm-section nbsec-tm-threats',
    el('h4', 'nbsec-tm-heading', 'Threat decisions'),
    el('table', 'nbsec-tm-table', head, body)
  );
}

// --------------------------------------------------------------------------- diagram

const ZONE_WIDTH = 190;
const ZONE_GAP = 24;
const BOX_WIDTH = 160;
const BOX_HEIGHT = 30;
const BOX_GAP = 14;
const ZONE_HEADER = 42;
const MARGIN = 10;
const MAX_LABEL = 22;

let diagramCount = 0;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  className = ''
): SVGElementTagNameMap[K] {
  // Attribute names are the constants written in this file (dom.ts refuses event handlers and URLs).
  return svgElement(tag, className ? { ...attributes, class: className } : attributes);
}

function svgText(x: number, y: number, value: string, className: string): SVGTextElement {
  const node = svg('text', { x, y, 'text-anchor': 'middle', 'dominant-baseline': 'middle' }, className);
  node.textContent = value.length > MAX_LABEL ? `${value.slice(0, MAX_LABEL - 1)}…` : value;
  if (value.length > MAX_LABEL) {
    const title = svg('title', {});
    title.textContent = value;
    node.appendChild(title);
  }
  return node;
}

/** The point where the segment from the centre of a box towards (dx, dy) leaves the box. */
function edge(cx: number, cy: number, dx: number, dy: number): [number, number] {
  const halfW = BOX_WIDTH / 2 + 2;
  const halfH = BOX_HEIGHT / 2 + 2;
  const t = Math.min(dx ? halfW / Math.abs(dx) : Infinity, dy ? halfH / Math.abs(dy) : Infinity);
  return [cx + dx * t, cy + dy * t];
}

function num(value: number): string {
  return value.toFixed(1);
}

/**
 * An arrow from one box to another: straight between columns and between neighbours in a column;
 * a bow out to the right of the column when boxes lie between them (a straight line would hide
 * under those boxes).
 */
function flowPath(from: [number, number], to: [number, number]): string {
  const [dx, dy] = [to[0] - from[0], to[1] - from[1]];
  if (Math.abs(dx) < 1 && Math.abs(dy) > BOX_HEIGHT + BOX_GAP + 1) {
    const side = from[0] + BOX_WIDTH / 2;
    const bow = side + 10 + Math.min(Math.abs(dy) / 8, 14);
    // Going down bows a little further out than coming back up, so a flow and its reply stay apart.
    const out = dy > 0 ? bow : bow - 6;
    return `M ${num(side)} ${num(from[1])} C ${num(out)} ${num(from[1])} ${num(out)} ${num(to[1])} ${num(side + 2)} ${num(to[1])}`;
  }
  const length = Math.hypot(dx, dy) || 1;
  // Shift each arrow a little to its right, so a flow and its reply do not draw over each other.
  const [ox, oy] = [(-dy / length) * 4, (dx / length) * 4];
  const [x1, y1] = edge(from[0] + ox, from[1] + oy, dx, dy);
  const [x2, y2] = edge(to[0] + ox, to[1] + oy, -dx, -dy);
  return `M ${num(x1)} ${num(y1)} L ${num(x2)} ${num(y2)}`;
}

/** Zones as columns, their elements stacked inside, flows as arrows between the boxes. */
function diagram(model: Model): HTMLElement {
  const marker = `nbsec-tm-arrow-${++diagramCount}`;
  const ids = zoneIds(model);
  const rows = Math.max(1, ...ids.map(id => model.elements.filter(e => e.zone === id).length));
  const width = MARGIN * 2 + ids.length * ZONE_WIDTH + (ids.length - 1) * ZONE_GAP;
  const height = MARGIN * 2 + ZONE_HEADER + rows * (BOX_HEIGHT + BOX_GAP);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' }, 'nbsec-tm-svg');
  const title = svg('title', {});
  title.textContent = `Diagram of ${model.title}`;
  root.appendChild(title);

  const defs = svg('defs', {});
  const arrow = svg('marker', {
    id: marker,
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse'
  });
  arrow.appendChild(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }, 'nbsec-tm-svg-arrowhead'));
  defs.appendChild(arrow);
  root.appendChild(defs);

  const centres = new Map<string, [number, number]>();
  const boxes = svg('g', {});
  ids.forEach((id, column) => {
    const x = MARGIN + column * (ZONE_WIDTH + ZONE_GAP);
    const trust = zoneTrust(model, id);
    const zone = model.zones.find(z => z.id === id);
    const area = svg('g', {}, known('nbsec-tm-svg-zone-', trust, TRUST_LEVELS));
    area.appendChild(
      svg('rect', { x, y: MARGIN, width: ZONE_WIDTH, height: height - 2 * MARGIN, rx: 6 }, 'nbsec-tm-svg-zone')
    );
    area.appendChild(svgText(x + ZONE_WIDTH / 2, MARGIN + 14, zone?.name || id, 'nbsec-tm-svg-zone-label'));
    area.appendChild(svgText(x + ZONE_WIDTH / 2, MARGIN + 29, trust, 'nbsec-tm-svg-zone-trust'));
    root.appendChild(area);
    model.elements
      .filter(e => e.zone === id)
      .forEach((element, row) => {
        const bx = x + (ZONE_WIDTH - BOX_WIDTH) / 2;
        const by = MARGIN + ZONE_HEADER + row * (BOX_HEIGHT + BOX_GAP);
        if (!centres.has(element.id)) {
          centres.set(element.id, [bx + BOX_WIDTH / 2, by + BOX_HEIGHT / 2]);
        }
        const group = svg('g', {}, 'nbsec-tm-svg-element');
        const hint = svg('title', {});
        hint.textContent = `${words(element.kind)}: ${element.name || element.id}`;
        group.appendChild(hint);
        group.appendChild(
          svg('rect', { x: bx, y: by, width: BOX_WIDTH, height: BOX_HEIGHT, rx: 4 }, 'nbsec-tm-svg-box')
        );
        group.appendChild(
          svgText(bx + BOX_WIDTH / 2, by + BOX_HEIGHT / 2, element.name || element.id, 'nbsec-tm-svg-label')
        );
        boxes.appendChild(group);
      });
  });

  const lines = svg('g', {});
  for (const flow of model.flows) {
    const from = centres.get(flow.from);
    const to = centres.get(flow.to);
    if (!from || !to || flow.from === flow.to) {
      continue;
    }
    const path = svg(
      'path',
      { d: flowPath(from, to), 'marker-end': `url(#${marker})` },
      crossing(model, flow) ? 'nbsec-tm-svg-flow nbsec-tm-svg-crossing' : 'nbsec-tm-svg-flow'
    );
    const hint = svg('title', {});
    hint.textContent = `${elementLabel(model, flow.from)} → ${elementLabel(model, flow.to)}${flow.data ? `: ${flow.data}` : ''}`;
    path.appendChild(hint);
    lines.appendChild(path);
  }
  root.appendChild(lines);
  root.appendChild(boxes);

  return el(
    'figure',
    'nbsec-tm-diagram',
    root,
    el('figcaption', 'nbsec-tm-caption', 'Zones left to right; dashed arrows cross a trust boundary.')
  );
}
