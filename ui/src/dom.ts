// A tiny DOM helper. Text is always set as text nodes: user data never goes
// through innerHTML. Inline styles are avoided (the CSP forbids style attributes).

type Child = Node | string | number | null | undefined | false | Child[];

export type Attrs = {
  [key: string]:
    | string
    | number
    | boolean
    | null
    | undefined
    | EventListener
    | ((ev: never) => unknown);
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      } else if (key === 'class') {
        el.className = String(value);
      } else if (key === 'value' && 'value' in el) {
        (el as HTMLInputElement).value = String(value);
      } else if (key === 'checked' && el instanceof HTMLInputElement) {
        el.checked = Boolean(value);
      } else if (key === 'selected' && el instanceof HTMLOptionElement) {
        el.selected = Boolean(value);
      } else if (value === true) {
        el.setAttribute(key, '');
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

let groupIds = 0;

/**
 * A labelled group of controls (`radiogroup` for radio buttons), named by
 * `label` for assistive technology. Not a <fieldset> with a <legend>:
 * WebKitGTK first lays such a fieldset out with its legend's height counted
 * twice, and corrects it at the next style change — a click's mousedown
 * moving the focus is one — so what is under the pointer moves between the
 * mousedown and the mouseup, and the click lands on neither.
 */
export function group(role: 'group' | 'radiogroup', label: HTMLElement, attrs: Attrs | null, ...children: Child[]): HTMLDivElement {
  if (!label.id) label.id = `group-label-${++groupIds}`;
  return h('div', { ...attrs, role, 'aria-labelledby': label.id }, label, children);
}

/** Replaces all children of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function $(selector: string, root: ParentNode = document): HTMLElement | null {
  return root.querySelector<HTMLElement>(selector);
}

/** Waits for the browser to paint twice (after a DOM change). */
export function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

/** Whether keystrokes currently go to a text field (where Ctrl+Z is the field's own undo). */
export function isTextEntry(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(el.type);
  }
  return el instanceof HTMLElement && el.isContentEditable;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: number | undefined;
  return (...args: A) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

const ICONS: Record<string, string[]> = {
  study: ['M6 3.5h8.5L18 7v13.5H6z', 'M14 3.5V7h4', 'M9 11h6', 'M9 14.5h6', 'M9 18h3.5'],
  country: ['M12 4a8 8 0 1 0 0 16a8 8 0 1 0 0-16z', 'M4 12h16', 'M12 4c3.2 3.4 3.2 12.6 0 16', 'M12 4c-3.2 3.4-3.2 12.6 0 16'],
  city: ['M3 20h18', 'M5 20V10l4-2.5V20', 'M9 20V4h7v16', 'M16 20v-9h3.5v9', 'M12 8h1.5', 'M12 11.5h1.5', 'M12 15h1.5'],
  org: ['M4 8h16v11H4z', 'M9 8V5h6v3', 'M4 13h16'],
  collab: ['M8 8h11', 'M16 5l3 3-3 3', 'M16 16H5', 'M8 13l-3 3 3 3'],
  rate: ['M12 4a8 8 0 1 0 0 16a8 8 0 1 0 0-16z', 'M9 7.5l3 4 3-4', 'M12 11.5V17', 'M9.5 12.5h5', 'M9.5 15h5'],
  trash: ['M5 7h14', 'M10 7V4.5h4V7', 'M7 7l1 13h8l1-13', 'M10.5 11v5.5', 'M13.5 11v5.5'],
  undo: ['M9 6L5 10l4 4', 'M5 10h9a5 5 0 0 1 0 10h-3'],
  redo: ['M15 6l4 4-4 4', 'M19 10h-9a5 5 0 0 0 0 10h3'],
  search: ['M11 5a6 6 0 1 0 0 12a6 6 0 1 0 0-12z', 'M15.5 15.5L20 20'],
  sync: ['M5 11a7 7 0 0 1 12.5-4.3L19.5 9', 'M19.5 4.5V9H15', 'M19 13a7 7 0 0 1-12.5 4.3L4.5 15', 'M4.5 19.5V15H9'],
};

/** An SVG element; attributes as strings or numbers, children as for h(). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | number | null | undefined> | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** A small line icon (inline SVG built as nodes; the CSS colours it). */
export function icon(name: string): SVGSVGElement {
  return svg(
    'svg',
    { viewBox: '0 0 24 24', class: `icon icon-${name}`, 'aria-hidden': 'true' },
    (ICONS[name] ?? []).map((d) => svg('path', { d })),
  );
}
