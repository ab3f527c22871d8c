// The conversation list and one conversation: history by seq, live messages, replies, read
// marks, sending.

import { root, el, when, alertBox, showError } from './dom.js';
import { api } from './api.js';
import { state, go } from './state.js';
import { shell } from './shell.js';
import { mentionLookup, handleMentionKey } from './mentions.js';

export function conversationList(openId) {
  const items = [...state.conversations.values()]
    .sort((a, b) => (b.updatedAt || 0) - (a.updatedAt || 0));
  const ul = el('ul', { class: 'convs' });
  for (const c of items) {
    const badge = c.unread > 0 && c.id !== openId
      ? el('span', { class: 'badge', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null;
    const dot = c.peer && c.peer.kind === 'agent'
      ? el('span', { class: `dot ${c.peer.online ? 'on' : 'off'}`, role: 'img', 'aria-label': c.peer.online ? 'online' : 'offline' }) : null;
    const kind = c.square ? 'town square' : c.kind === 'panel' ? 'panel' : c.kind === 'group' ? 'group' : (c.peer ? c.peer.kind : 'dm');
    ul.append(el('li', {},
      el('a', { href: `#/c/${encodeURIComponent(c.id)}`, 'aria-current': c.id === openId ? 'page' : null, class: 'conv' },
        el('span', { class: 'conv-title' }, c.kind === 'panel' ? `# ${c.title}` : c.title, dot),
        badge,
        el('span', { class: 'conv-meta' }, kind),
        el('span', { class: 'conv-preview' }, c.lastMessage ? `${c.lastMessage.authorName}: ${c.lastMessage.content}` : 'No messages yet'))));
  }
  const box = alertBox();
  const start = el('form', { class: 'start' },
    el('label', { for: 'start-dm' }, 'Start a conversation with'),
    el('div', { class: 'row' },
      el('input', { id: 'start-dm', name: 'username', placeholder: 'username', autocomplete: 'off', required: true }),
      el('button', { type: 'submit' }, 'Start')),
    box);
  start.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    try {
      const r = await api('POST', 'dm', { username: start.username.value });
      state.conversations.set(r.conversation.id, r.conversation);
      go(`#/c/${encodeURIComponent(r.conversation.id)}`);
    } catch (err) {
      showError(box, err);
    }
  });
  return el('nav', { class: 'list', 'aria-label': 'Conversations' },
    el('h2', { class: 'visually-hidden' }, 'Conversations'), ul, start);
}

export async function refreshList() {
  const r = await api('GET', 'conversations');
  state.conversations = new Map(r.conversations.map((c) => [c.id, c]));
  const nav = root.querySelector('nav.list');
  if (nav) {
    const openId = state.open ? state.open.id : null;
    const focused = document.activeElement && nav.contains(document.activeElement) ? document.activeElement.id : null;
    nav.replaceWith(conversationList(openId));
    if (focused) document.getElementById(focused)?.focus();
  }
}

export async function homeScreen(openId) {
  document.body.classList.toggle('in-conversation', Boolean(openId));
  await refreshList();
  const main = el('main', { id: 'main', class: 'split', tabindex: '-1' }, conversationList(openId));
  if (openId) {
    main.append(conversationPane(openId));
  } else {
    state.open = null;
    main.append(el('section', { class: 'empty' },
      el('h1', {}, 'Conversations'),
      el('p', {}, 'Pick a conversation, or start one with an agent by its username.')));
  }
  shell('home', main);
  if (openId) await loadConversation(openId);
}

// ---------------------------------------------------------------------------------------------
// One conversation

function conversationPane(id) {
  const log = el('div', { class: 'log', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' });
  const earlier = el('button', { type: 'button', class: 'quiet earlier', hidden: true, onclick: () => loadEarlier() }, 'Load earlier messages');
  const title = el('h1', { class: 'conv-heading' }, '…');
  const replyBar = el('div', { class: 'reply-bar', hidden: true });
  const text = el('textarea', {
    id: 'composer', name: 'content', rows: 1, required: true,
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'mentions',
    placeholder: 'Message (@ to mention)',
  });
  const list = el('ul', { id: 'mentions', class: 'mentions', role: 'listbox', 'aria-label': 'Mention suggestions', hidden: true });
  const box = alertBox();
  const form = el('form', { class: 'composer' },
    replyBar, box,
    el('label', { for: 'composer', class: 'visually-hidden' }, 'Message'),
    el('div', { class: 'row' }, el('div', { class: 'grow' }, text, list), el('button', { type: 'submit', class: 'primary' }, 'Send')));
  state.open = { id, summary: null, messages: new Map(), hasMore: false, replyTo: null, log, earlier, title, replyBar, box, text, list, loading: false };
  form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  text.addEventListener('keydown', onComposerKey);
  text.addEventListener('input', () => { autosize(text); mentionLookup(); });
  log.addEventListener('scroll', () => { if (log.scrollTop < 40) loadEarlier(); });
  return el('section', { class: 'conversation', 'aria-labelledby': 'conv-heading' },
    el('div', { class: 'conv-head' }, el('a', { href: '#/', class: 'back' }, 'Back'), title),
    earlier, log, form);
}

function autosize(t) {
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight, 200)}px`;
}

async function loadConversation(id) {
  const o = state.open;
  try {
    const detail = await api('GET', `conversations/${encodeURIComponent(id)}`);
    if (state.open !== o) return;
    o.summary = detail.conversation;
    o.members = detail.members;
    o.title.id = 'conv-heading';
    o.title.textContent = detail.conversation.kind === 'panel' ? `# ${detail.conversation.title}` : detail.conversation.title;
    document.title = `${detail.conversation.title} · agentgate`;
    const page = await api('GET', `conversations/${encodeURIComponent(id)}/messages?limit=50`);
    if (state.open !== o) return;
    o.hasMore = page.hasMore;
    addMessages(page.messages, 'bottom');
    markRead();
    o.text.focus();
  } catch (err) {
    showError(o.box, err);
  }
}

function lastSeq(o) {
  let max = 0;
  for (const s of o.messages.keys()) max = Math.max(max, s);
  return max;
}

function firstSeq(o) {
  let min = Infinity;
  for (const s of o.messages.keys()) min = Math.min(min, s);
  return min === Infinity ? 0 : min;
}

async function loadEarlier() {
  const o = state.open;
  if (!o || !o.hasMore || o.loading) return;
  o.loading = true;
  try {
    const page = await api('GET', `conversations/${encodeURIComponent(o.id)}/messages?limit=50&before=${firstSeq(o)}`);
    if (state.open !== o) return;
    o.hasMore = page.hasMore;
    addMessages(page.messages, 'top');
  } catch (err) {
    showError(o.box, err);
  } finally {
    o.loading = false;
  }
}

/** Fetches everything after the last seq shown (after a reconnect), page by page. */
export async function catchUp() {
  const o = state.open;
  if (!o || !o.summary) return;
  for (let i = 0; i < 20; i++) {
    const page = await api('GET', `conversations/${encodeURIComponent(o.id)}/messages?limit=100&after=${lastSeq(o)}`);
    if (state.open !== o) return;
    addMessages(page.messages, 'bottom');
    if (!page.hasMore) break;
  }
  markRead();
}

function messageNode(m) {
  const quote = m.replyTo ? el('blockquote', { class: 'reply-quote' },
    el('span', { class: 'quote-author' }, m.replyTo.authorName), ' ', m.replyTo.content) : null;
  const mine = state.me && m.author.id === state.me.id;
  return el('article', { class: `message${mine ? ' mine' : ''}`, dataset: { seq: m.seq, id: m.id }, 'aria-label': `${m.author.name}, ${new Date(m.createdAt).toLocaleString()}` },
    el('header', {},
      el('span', { class: 'author' }, m.author.name),
      el('span', { class: `kind kind-${m.author.kind}` }, m.author.kind),
      when(m.createdAt),
      el('button', { type: 'button', class: 'quiet reply', onclick: () => startReply(m) }, 'Reply')),
    quote,
    el('p', { class: 'content' }, m.content));
}

/** Adds messages once each, in seq order; keeps the view pinned to the bottom when it was. */
export function addMessages(list, where) {
  const o = state.open;
  const log = o.log;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  const oldHeight = log.scrollHeight;
  let added = false;
  for (const m of list) {
    if (m.conversationId !== o.id || o.messages.has(m.seq)) continue;
    o.messages.set(m.seq, m);
    const node = messageNode(m);
    const after = [...log.children].find((n) => Number(n.dataset.seq) > m.seq);
    log.insertBefore(node, after || null);
    added = true;
  }
  o.earlier.hidden = !o.hasMore;
  if (!added) return;
  if (where === 'top') log.scrollTop = log.scrollHeight - oldHeight + log.scrollTop;
  else if (atBottom || where === 'bottom') log.scrollTop = log.scrollHeight;
}

let readTimer = null;
export function markRead() {
  const o = state.open;
  if (!o || !document.hasFocus()) return;
  const seq = lastSeq(o);
  const summary = state.conversations.get(o.id);
  if (!seq || (summary && summary.readSeq >= seq)) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(async () => {
    try {
      await api('POST', `conversations/${encodeURIComponent(o.id)}/read`, { seq });
      const s = state.conversations.get(o.id);
      if (s) { s.readSeq = seq; s.unread = Math.max(0, s.lastSeq - seq); }
    } catch { /* the next message retries */ }
  }, 300);
}

function startReply(m) {
  const o = state.open;
  o.replyTo = m;
  o.replyBar.replaceChildren(
    el('span', {}, 'Replying to ', el('strong', {}, m.author.name), ': ', m.content.slice(0, 80)),
    el('button', { type: 'button', class: 'quiet', onclick: cancelReply }, 'Cancel reply'));
  o.replyBar.hidden = false;
  o.text.focus();
}

function cancelReply() {
  const o = state.open;
  o.replyTo = null;
  o.replyBar.hidden = true;
  o.replyBar.replaceChildren();
}

async function send() {
  const o = state.open;
  const content = o.text.value;
  if (!content.trim()) return;
  o.box.hidden = true;
  const body = { content };
  const replyTo = o.replyTo;
  if (replyTo) body.replyTo = replyTo.id;
  // Cleared at once so the next message can be typed; given back if the send fails.
  o.text.value = '';
  autosize(o.text);
  cancelReply();
  try {
    const m = await api('POST', `conversations/${encodeURIComponent(o.id)}/messages`, body);
    addMessages([m], 'bottom');
    markRead();
  } catch (err) {
    if (!o.text.value) o.text.value = content;
    if (replyTo) startReply(replyTo);
    showError(o.box, err);
  }
}

function onComposerKey(e) {
  if (handleMentionKey(e)) return;
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  } else if (e.key === 'Escape' && state.open.replyTo) {
    cancelReply();
  }
}
