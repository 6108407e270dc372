// Building DOM from report data without ever parsing markup.
//
// Everything a scan reports (titles, evidence, paths, figure labels) comes from files an attacker may
// have written, so it only ever reaches the page as text nodes or attribute *values*. Attribute *names*
// are chosen by our code; `h` still refuses event handlers and URL-bearing attributes so that a careless
// call site cannot turn data into script or a navigation: links go through `link`, which admits only
// http(s) URLs.

/** What `h` accepts as a child: nodes as they are, strings as text, nothing for null/undefined/false. */
export type Child = Node | string | null | undefined | false;
/** A child or (nested) lists of them, flattened in order. */
export type Children = Child | ReadonlyArray<Children>;

export interface Props {
  className?: string;
  title?: string;
  /** `data-*` attributes: keys are camelCase as in `element.dataset`. */
  dataset?: Record<string, string>;
  /** Plain attributes (role, aria-*, type, tabindex...). No `on*`, no URL attributes. */
  attrs?: Record<string, string | number | boolean>;
}

// Attributes that load or navigate to a URL, or run code: never set from `attrs`.
const URL_ATTRIBUTES = new Set(['href', 'src', 'srcset', 'srcdoc', 'xlink:href', 'action', 'formaction', 'data', 'poster', 'background']);
const ATTRIBUTE_NAME = /^[a-zA-Z][a-zA-Z0-9_.:-]*$/;

/** Throws for an attribute `h` or `svg` must never set; call sites name attributes in code, so this is a bug. */
export function checkAttributeName(name: string): void {
  const lower = name.toLowerCase();
  if (!ATTRIBUTE_NAME.test(name)) {
    throw new Error(`nbsec dom: invalid attribute name ${JSON.stringify(name)}`);
  }
  if (lower.startsWith('on')) {
    throw new Error(`nbsec dom: refusing event-handler attribute ${name}`);
  }
  if (URL_ATTRIBUTES.has(lower) || lower === 'style') {
    throw new Error(`nbsec dom: refusing attribute ${name} (use link() for URLs, classes for styles)`);
  }
}

function applyProps(element: Element, props: Props | undefined): void {
  if (!props) {
    return;
  }
  if (props.className) {
    element.setAttribute('class', props.className);
  }
  if (props.title !== undefined) {
    element.setAttribute('title', props.title);
  }
  if (props.dataset) {
    for (const [key, value] of Object.entries(props.dataset)) {
      // dataset keys are camelCase identifiers; anything else would throw in the browser anyway.
      if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(key)) {
        throw new Error(`nbsec dom: invalid dataset key ${JSON.stringify(key)}`);
      }
      (element as HTMLElement).dataset[key] = value;
    }
  }
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      checkAttributeName(name);
      if (value === false) {
        continue;
      }
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** Appends children: strings become text nodes (never markup), null/undefined/false are skipped. */
export function append(parent: Node, children: ReadonlyArray<Children>): void {
  for (const child of children) {
    if (Array.isArray(child)) {
      append(parent, child);
    } else if (typeof child === 'string') {
      parent.appendChild(document.createTextNode(child));
    } else if (child instanceof Node) {
      parent.appendChild(child);
    }
  }
}

/** An HTML element with the given props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  applyProps(element, props ?? undefined);
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; `attrs` follow the same rules as `h`'s (no handlers, no URLs). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | number> | null,
  ...children: Children[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    checkAttributeName(name);
    element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** The URL normalised by the URL parser when it is http: or https:, else null (javascript:, data:, relative...). */
export function safeHttpUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > 4096) {
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
}

/**
 * A link that opens in a new tab, or a plain <span> with the same text when `url` is not http(s).
 * The href is the parser's normalised URL, so what is shown and what is followed cannot disagree in scheme.
 */
export function link(text: string, url: unknown, props?: Props): HTMLAnchorElement | HTMLSpanElement {
  const href = safeHttpUrl(url);
  if (href === null) {
    return h('span', props, text);
  }
  const anchor = h('a', props, text);
  anchor.href = href;
  anchor.rel = 'noopener noreferrer';
  anchor.target = '_blank';
  return anchor;
}

/** Removes every child of `node`. */
export function clear(node: Node): void {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}
