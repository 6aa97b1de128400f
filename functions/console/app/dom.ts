/**
 * The only way the console puts anything on the page. Every value, whatever its source (a
 * circuit name, a log line, a problem's detail), becomes a text node or a `textContent`: no
 * HTML string is ever parsed, so markup in data shows as the characters it is.
 */

export type Child = Node | string | number | null | undefined | false;

export interface ElementOptions {
  readonly className?: string;
  /** `data-*` attributes (tests and styles find elements by them). */
  readonly data?: Readonly<Record<string, string>>;
  /** Plain attributes named by the code (never by data): `type`, `name`, `value`, `title`... */
  readonly attrs?: Readonly<Record<string, string>>;
  readonly onClick?: () => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  for (const [key, value] of Object.entries(options.data ?? {})) element.dataset[key] = value;
  for (const [key, value] of Object.entries(options.attrs ?? {})) element.setAttribute(key, value);
  if (options.onClick) element.addEventListener('click', options.onClick);
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with numeric or keyword attributes set by the code. */
export function svg(
  tag: string,
  attrs: Readonly<Record<string, string | number>> = {},
): SVGElement {
  const element = document.createElementNS(SVG, tag) as SVGElement;
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  return element;
}

/** A link that leaves the console (Zipkin, X-Ray): only http(s), never sending a referrer. */
export function externalLink(href: string, text: string): HTMLAnchorElement | Text {
  if (!/^https?:\/\//i.test(href)) return document.createTextNode(text);
  return h('a', { attrs: { href, target: '_blank', rel: 'noopener noreferrer' } }, text);
}

export function button(
  text: string,
  onClick: () => void,
  options: { className?: string; data?: Record<string, string> } = {},
): HTMLButtonElement {
  return h(
    'button',
    { className: options.className, data: options.data, attrs: { type: 'button' }, onClick },
    text,
  );
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement): HTMLLabelElement {
  return h('label', { className: 'field' }, h('span', {}, label), input);
}

export function input(
  name: string,
  attrs: Readonly<Record<string, string>> = {},
): HTMLInputElement {
  return h('input', { attrs: { name, ...attrs } });
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}
