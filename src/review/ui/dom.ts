/**
 * Element building. Server data only ever enters the page as text (`textContent`) or as
 * attribute values set one by one; nothing here parses HTML.
 */

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  className?: string;
  /** Set as textContent. */
  text?: string;
  /** Plain attributes (never `style` or `on*`: the CSP and this module keep both out). */
  attrs?: Record<string, string | number | boolean | undefined>;
  /** Click handler for buttons and links. */
  onClick?: (event: Event) => void;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElementProps = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (name === 'style' || name.startsWith('on')) throw new Error(`attribute ${name} is not allowed`);
    element.setAttribute(name, value === true ? '' : String(value));
  }
  if (props.onClick) element.addEventListener('click', props.onClick);
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A `<button type="button">`. */
export function button(text: string, onClick: (event: Event) => void, props: Omit<ElementProps, 'text' | 'onClick'> = {}): HTMLButtonElement {
  return el('button', { ...props, text, onClick, attrs: { type: 'button', ...props.attrs } });
}

export function clear(element: Element): void {
  element.replaceChildren();
}

/** `0.734` → `73%`. */
export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/** A number with at most three decimals, for metric tables. */
export function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '–';
}

/** ISO time as the reader's local date and time. */
export function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
