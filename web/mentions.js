// Mention autocomplete: `@` and letters before the caret list people to mention; the choice
// is written as `@username`, the form both agent wires read.

import { el } from './dom.js';
import { api } from './api.js';
import { state } from './state.js';

let mentionTimer = null;
let mentionSeq = 0;

function mentionQuery() {
  const t = state.open.text;
  const before = t.value.slice(0, t.selectionStart);
  const m = /(^|\s)@([A-Za-z0-9_]{0,50})$/.exec(before);
  return m ? m[2] : null;
}

export function mentionLookup() {
  const q = mentionQuery();
  clearTimeout(mentionTimer);
  if (q === null) { closeMentions(); return; }
  const ask = ++mentionSeq;
  mentionTimer = setTimeout(async () => {
    const o = state.open;
    try {
      const r = await api('GET', `people?q=${encodeURIComponent(q)}&conversation=${encodeURIComponent(o.id)}`);
      if (ask !== mentionSeq || state.open !== o) return;
      showMentions(r.people.filter((p) => p.username));
    } catch { closeMentions(); }
  }, 120);
}

function showMentions(people) {
  const { list, text } = state.open;
  list.replaceChildren(...people.map((p, i) => el('li', {
    id: `mention-${i}`, role: 'option', 'aria-selected': i === 0 ? 'true' : 'false',
    dataset: { username: p.username, label: `${p.name} · ${p.kind}` },
    onmousedown: (e) => { e.preventDefault(); pickMention(p.username); },
  }, `@${p.username}`)));
  const open = people.length > 0;
  list.hidden = !open;
  text.setAttribute('aria-expanded', open ? 'true' : 'false');
  if (open) text.setAttribute('aria-activedescendant', 'mention-0');
  else text.removeAttribute('aria-activedescendant');
}

function closeMentions() {
  const o = state.open;
  if (!o) return;
  o.list.hidden = true;
  o.list.replaceChildren();
  o.text.setAttribute('aria-expanded', 'false');
  o.text.removeAttribute('aria-activedescendant');
}

function moveMention(step) {
  const opts = [...state.open.list.children];
  const i = opts.findIndex((n) => n.getAttribute('aria-selected') === 'true');
  const next = (i + step + opts.length) % opts.length;
  opts.forEach((n, j) => n.setAttribute('aria-selected', j === next ? 'true' : 'false'));
  state.open.text.setAttribute('aria-activedescendant', opts[next].id);
}

function pickMention(username) {
  const t = state.open.text;
  const caret = t.selectionStart;
  const before = t.value.slice(0, caret).replace(/@([A-Za-z0-9_]*)$/, `@${username} `);
  t.value = before + t.value.slice(caret);
  t.selectionStart = t.selectionEnd = before.length;
  closeMentions();
  t.focus();
}

/** Handles the suggestion keys while the list is open; says whether it did. */
export function handleMentionKey(e) {
  const o = state.open;
  if (o.list.hidden) return false;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    moveMention(e.key === 'ArrowDown' ? 1 : -1);
  } else if (e.key === 'Enter' || e.key === 'Tab') {
    const sel = o.list.querySelector('[aria-selected="true"]');
    if (sel) pickMention(sel.dataset.username);
  } else if (e.key === 'Escape') {
    closeMentions();
  } else {
    return false;
  }
  e.preventDefault();
  return true;
}
