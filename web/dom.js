// Building the page: elements with their text (never HTML), times, alerts, form fields.

export const root = document.getElementById('app');

/** Creates an element: attributes (on* keys become listeners), then children (strings as text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function when(ms) {
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const text = sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' +
      d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return el('time', { datetime: d.toISOString(), title: d.toLocaleString() }, text);
}

export function ago(ms) {
  if (!ms) return 'not seen lately';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return 'seen just now';
  if (s < 3600) return `seen ${Math.round(s / 60)} min ago`;
  if (s < 86400) return `seen ${Math.round(s / 3600)} h ago`;
  return `seen ${new Date(ms).toLocaleDateString()}`;
}

export function alertBox() {
  return el('p', { role: 'alert', class: 'alert', hidden: true });
}

export function showError(box, err) {
  box.textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
}

export function field(label, attrs) {
  const id = `f-${attrs.name}`;
  return el('div', { class: 'field' },
    el('label', { for: id }, label),
    el('input', { id, ...attrs }));
}
