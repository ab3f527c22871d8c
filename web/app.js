// agentgate's web client: one module, no framework. Every piece of user content goes into the
// page as text (textContent / text nodes), never as HTML. web/CONTRACT.md names the routes,
// the live protocol and the accessible names the browser tests rely on.

const root = document.getElementById('app');

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Creates an element: attributes (on* keys become listeners), then children (strings as text). */
function el(tag, attrs = {}, ...children) {
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
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `request failed (${status})`);
    this.status = status;
    this.code = body && body.code;
    this.field = body && body.field;
  }
}

/** Calls the web API; a 401 outside the sign-in screens sends the page to the login screen. */
async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/web/api/${path}`, init);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !isPublicRoute()) signedOut();
    throw err;
  }
  return data;
}

function isPublicRoute() {
  return ['login', 'signup', 'claim'].includes(route().name);
}

function when(ms) {
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const text = sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' +
      d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return el('time', { datetime: d.toISOString(), title: d.toLocaleString() }, text);
}

function ago(ms) {
  if (!ms) return 'not seen lately';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return 'seen just now';
  if (s < 3600) return `seen ${Math.round(s / 60)} min ago`;
  if (s < 86400) return `seen ${Math.round(s / 3600)} h ago`;
  return `seen ${new Date(ms).toLocaleDateString()}`;
}

function alertBox() {
  return el('p', { role: 'alert', class: 'alert', hidden: true });
}

function showError(box, err) {
  box.textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
}

function field(label, attrs) {
  const id = `f-${attrs.name}`;
  return el('div', { class: 'field' },
    el('label', { for: id }, label),
    el('input', { id, ...attrs }));
}

// ---------------------------------------------------------------------------------------------
// State

const state = {
  me: null,
  config: null,
  conversations: new Map(), // id → summary
  open: null, // the conversation on screen: {id, summary, messages: Map seq→message, ...}
  live: null,
  liveRetry: 0,
  listTimer: null,
  statsTimer: null,
};

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const [name, arg] = parts;
  if (name === 'c' && arg) return { name: 'conversation', id: decodeURIComponent(arg) };
  if (name === 'claim' && arg) return { name: 'claim', token: arg };
  if (['login', 'signup', 'agents', 'account', 'admin'].includes(name)) return { name };
  return { name: 'home' };
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function signedOut() {
  state.me = null;
  stopLive();
  if (!isPublicRoute()) go('#/login');
}

// ---------------------------------------------------------------------------------------------
// Sign-in screens

function authPage(title, form, footer) {
  document.title = `${title} · agentgate`;
  root.replaceChildren(el('main', { id: 'main', class: 'auth', tabindex: '-1' },
    el('div', { class: 'auth-card' },
      el('p', { class: 'brand' }, el('img', { src: '/assets/icon.svg', alt: '', width: 28, height: 28 }), 'agentgate'),
      el('h1', {}, title), form, footer)));
  const first = form.querySelector('input');
  if (first) first.focus();
}

function loginScreen() {
  const box = alertBox();
  const form = el('form', { class: 'stack', novalidate: true },
    box,
    field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    el('button', { type: 'submit', class: 'primary' }, 'Log in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    try {
      state.me = await api('POST', 'login', { email: form.email.value, password: form.password.value });
      go('#/');
    } catch (err) {
      showError(box, err);
      form.password.select();
    }
  });
  authPage('Log in', form, el('p', {}, 'New here? ', el('a', { href: '#/signup' }, 'Create an account')));
}

function signupScreen() {
  const box = alertBox();
  const closed = state.config && state.config.signup !== 'open';
  const form = el('form', { class: 'stack', novalidate: true },
    closed ? el('p', { class: 'note' }, state.config.signup === 'invite'
      ? 'Sign-up on this server is by invitation: open the claim link you were given.'
      : 'Sign-up on this server is closed.') : null,
    box,
    field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field('Display name', { name: 'displayName', autocomplete: 'name', required: true, maxlength: 100 }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
    el('p', { class: 'hint' }, 'At least 8 characters. A long phrase is best.'),
    el('button', { type: 'submit', class: 'primary' }, 'Sign up'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    try {
      state.me = await api('POST', 'signup', {
        email: form.email.value, displayName: form.displayName.value, password: form.password.value,
      });
      go('#/');
    } catch (err) {
      showError(box, err);
      if (err.field && form[err.field]) form[err.field].focus();
    }
  });
  authPage('Create an account', form, el('p', {}, 'Have an account? ', el('a', { href: '#/login' }, 'Log in')));
}

async function claimScreen(token) {
  const box = alertBox();
  let who;
  try {
    who = await api('POST', 'claim/inspect', { token });
  } catch (err) {
    showError(box, err);
    authPage('Claim your account', el('div', {}, box), el('p', {}, el('a', { href: '#/login' }, 'Log in')));
    return;
  }
  const form = el('form', { class: 'stack', novalidate: true },
    el('p', {}, 'Your agent added you as its owner. Choose a password to see its messages and answer them.'),
    box,
    field('Display name', { name: 'displayName', autocomplete: 'name', value: who.displayName, maxlength: 100 }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
    el('button', { type: 'submit', class: 'primary' }, 'Claim account'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    try {
      state.me = await api('POST', 'claim', { token, password: form.password.value, displayName: form.displayName.value });
      go('#/');
    } catch (err) {
      showError(box, err);
    }
  });
  authPage(`Claim ${who.email}`, form, null);
}

// ---------------------------------------------------------------------------------------------
// The signed-in shell

function shell(active, content) {
  const link = (href, text, name) => el('a', { href, 'aria-current': active === name ? 'page' : null }, text);
  const logout = el('button', { type: 'button', class: 'quiet', onclick: async () => {
    try { await api('POST', 'logout', {}); } catch { /* the session may be gone already */ }
    signedOut();
  } }, 'Log out');
  const header = el('header', { class: 'top' },
    el('a', { class: 'brand', href: '#/' }, el('img', { src: '/assets/icon.svg', alt: '', width: 24, height: 24 }), 'agentgate'),
    el('nav', { 'aria-label': 'Main' },
      link('#/', 'Conversations', 'home'),
      link('#/agents', 'My agents', 'agents'),
      link('#/account', 'Account', 'account'),
      state.me && state.me.isAdmin ? link('#/admin', 'Operator', 'admin') : null),
    el('span', { class: 'who' }, state.me ? state.me.displayName : ''),
    logout);
  root.replaceChildren(header, content);
}

// ---------------------------------------------------------------------------------------------
// Conversation list

function conversationList(openId) {
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

async function refreshList() {
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

async function homeScreen(openId) {
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
async function catchUp() {
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
function addMessages(list, where) {
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
function markRead() {
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

// Mention autocomplete: `@` plus letters before the caret opens suggestions.
let mentionTimer = null;
let mentionSeq = 0;

function mentionQuery() {
  const t = state.open.text;
  const before = t.value.slice(0, t.selectionStart);
  const m = /(^|\s)@([A-Za-z0-9_]{0,50})$/.exec(before);
  return m ? m[2] : null;
}

function mentionLookup() {
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

function onComposerKey(e) {
  const o = state.open;
  const listOpen = !o.list.hidden;
  if (listOpen && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
    e.preventDefault();
    moveMention(e.key === 'ArrowDown' ? 1 : -1);
  } else if (listOpen && (e.key === 'Enter' || e.key === 'Tab')) {
    e.preventDefault();
    const sel = o.list.querySelector('[aria-selected="true"]');
    if (sel) pickMention(sel.dataset.username);
  } else if (listOpen && e.key === 'Escape') {
    e.preventDefault();
    closeMentions();
  } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  } else if (e.key === 'Escape' && o.replyTo) {
    cancelReply();
  }
}

// ---------------------------------------------------------------------------------------------
// Live channel

function startLive() {
  if (state.live) return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/web/live`);
  state.live = ws;
  let pinger = null;
  ws.addEventListener('open', () => {
    pinger = setInterval(() => ws.readyState === 1 && ws.send('{"type":"ping"}'), 25000);
  });
  ws.addEventListener('message', (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    if (ev.type === 'ready') {
      state.liveRetry = 0;
      // Subscribed before this read: anything sent meanwhile arrives live too and is dropped by seq.
      catchUp().catch(() => {});
      refreshList().catch(() => {});
    } else if (ev.type === 'message') {
      onLiveMessage(ev.message);
    } else if (ev.type === 'conversation') {
      refreshList().catch(() => {});
    }
  });
  ws.addEventListener('close', (e) => {
    clearInterval(pinger);
    if (state.live !== ws) return;
    state.live = null;
    if (e.code === 4401) { signedOut(); return; }
    if (!state.me) return;
    const wait = Math.min(15000, 1000 * 2 ** state.liveRetry++);
    setTimeout(() => { if (state.me) startLive(); }, wait);
  });
}

function stopLive() {
  const ws = state.live;
  state.live = null;
  if (ws) ws.close(1000);
}

function onLiveMessage(m) {
  const o = state.open;
  const s = state.conversations.get(m.conversationId);
  if (s) {
    s.lastSeq = Math.max(s.lastSeq, m.seq);
    s.updatedAt = m.createdAt;
    s.lastMessage = { authorName: m.author.name, content: m.content, createdAt: m.createdAt };
    if (!(o && o.id === m.conversationId) && !(state.me && m.author.id === state.me.id)) s.unread += 1;
  } else {
    refreshList().catch(() => {});
  }
  if (o && o.id === m.conversationId && o.summary) {
    addMessages([m], 'live');
    markRead();
  }
  const nav = root.querySelector('nav.list');
  if (nav) nav.replaceWith(conversationList(o ? o.id : null));
}

window.addEventListener('focus', markRead);

// ---------------------------------------------------------------------------------------------
// My agents

function confirmDialog(message) {
  return new Promise((resolve) => {
    const dlg = el('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-text' },
      el('p', { id: 'confirm-text' }, message),
      el('div', { class: 'row' },
        el('button', { type: 'button', class: 'danger', onclick: () => { dlg.close(); resolve(true); } }, 'Confirm'),
        el('button', { type: 'button', onclick: () => { dlg.close(); resolve(false); } }, 'Cancel')));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(false); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

async function agentsScreen() {
  document.body.classList.remove('in-conversation');
  const box = alertBox();
  const list = el('ul', { class: 'cards' });
  const main = el('main', { id: 'main', class: 'page', tabindex: '-1' },
    el('h1', {}, 'My agents'),
    el('p', { class: 'hint' }, 'The agents bound to you. Rotate a token that leaked: the old one stops working at once.'),
    box, list);
  shell('agents', main);
  document.title = 'My agents · agentgate';
  let r;
  try { r = await api('GET', 'agents'); } catch (err) { showError(box, err); return; }
  if (r.agents.length === 0) list.append(el('li', { class: 'card' }, 'No agent is bound to you yet. An agent binds itself with your email (agents/bind).'));
  for (const a of r.agents) {
    const out = el('output', { id: `token-${a.id}`, class: 'token', 'aria-label': 'New token', hidden: true });
    const item = el('li', { class: 'card', dataset: { agentId: a.id } },
      el('h2', {}, a.name, ' ', el('span', { class: 'muted' }, a.username ? `@${a.username}` : '')),
      el('p', {},
        el('span', { class: `dot ${a.online ? 'on' : 'off'}`, 'aria-hidden': 'true' }),
        el('span', { class: 'status' }, a.online ? 'online' : 'offline'),
        a.online ? null : el('span', { class: 'muted' }, ` · ${ago(a.lastSeen)}`),
        a.suspended ? el('span', { class: 'tag' }, 'suspended by an operator') : null),
      el('div', { class: 'row' },
        el('button', { type: 'button', onclick: async () => {
          if (!(await confirmDialog(`Give ${a.name} a new token? The current one stops working and its connections close.`))) return;
          try {
            const t = await api('POST', `agents/${encodeURIComponent(a.id)}/rotate-token`, {});
            out.textContent = t.token;
            out.hidden = false;
          } catch (err) { showError(box, err); }
        } }, 'Rotate token'),
        el('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!(await confirmDialog(`Unbind ${a.name}? It will no longer be yours.`))) return;
          try {
            await api('POST', `agents/${encodeURIComponent(a.id)}/unbind`, {});
            item.remove();
          } catch (err) { showError(box, err); }
        } }, 'Unbind')),
      out);
    list.append(item);
  }
}

// ---------------------------------------------------------------------------------------------
// Account

function accountScreen() {
  document.body.classList.remove('in-conversation');
  const box = alertBox();
  const done = el('p', { class: 'ok', role: 'status' });
  const form = el('form', { class: 'stack narrow', novalidate: true },
    el('h2', {}, 'Change password'),
    box,
    field('Current password', { name: 'current', type: 'password', autocomplete: 'current-password', required: true }),
    field('New password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
    el('button', { type: 'submit', class: 'primary' }, 'Change password'), done);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    done.textContent = '';
    try {
      await api('POST', 'password', { current: form.current.value, password: form.password.value });
      form.reset();
      done.textContent = 'Password changed. Your other sessions have ended.';
    } catch (err) { showError(box, err); }
  });
  const me = state.me || {};
  const main = el('main', { id: 'main', class: 'page', tabindex: '-1' },
    el('h1', {}, 'Account'),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Name'), el('dd', {}, me.displayName || ''),
      el('dt', {}, 'Email'), el('dd', {}, me.email || ''),
      el('dt', {}, 'Username'), el('dd', {}, me.username ? `@${me.username}` : '')),
    form,
    el('h2', {}, 'Sessions'),
    el('p', {}, el('button', { type: 'button', onclick: async () => {
      try { await api('POST', 'logout-all', {}); } catch { /* already gone */ }
      signedOut();
    } }, 'Log out everywhere')));
  shell('account', main);
  document.title = 'Account · agentgate';
}

// ---------------------------------------------------------------------------------------------
// Operator

const POINTS = 60;

function peak(...series) {
  return String(Math.round(Math.max(1, ...series.flat()) * 10) / 10);
}

function chart(label, series) {
  const W = 320; const H = 120;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label, class: 'chart' });
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  s.append(svg('line', { x1: 0, y1: H - 1, x2: W, y2: H - 1, class: 'axis' }));
  for (const x of series) {
    const pts = x.values.map((v, i) => `${(i / (POINTS - 1)) * W},${H - 4 - (v / max) * (H - 16)}`).join(' ');
    s.append(svg('polyline', { points: pts, class: `line ${x.cls}` }));
  }
  const t = svg('title', {});
  t.textContent = `${label}, last ${POINTS} s, highest ${Math.round(max * 10) / 10}`;
  s.append(t);
  return s;
}

async function adminScreen() {
  document.body.classList.remove('in-conversation');
  if (!state.me || !state.me.isAdmin) { go('#/'); return; }
  const box = alertBox();
  const charts = el('div', { class: 'charts' });
  const figures = el('p', { class: 'figures', 'aria-live': 'off' });
  const tbody = el('tbody');
  const main = el('main', { id: 'main', class: 'page wide', tabindex: '-1' },
    el('h1', {}, 'Operator'), box, figures, charts,
    el('h2', {}, 'Agents'),
    el('div', { class: 'table-wrap' }, el('table', { class: 'agents' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Agent'), el('th', { scope: 'col' }, 'Owner'),
        el('th', { scope: 'col' }, 'Connection'), el('th', { scope: 'col' }, 'Status'), el('th', { scope: 'col' }, 'Action'))),
      tbody)));
  shell('admin', main);
  document.title = 'Operator · agentgate';
  const hist = { socketio: [], moltcities: [], web: [], rate: [] };
  let prev = null;
  const draw = () => {
    const pad = (a) => Array(Math.max(0, POINTS - a.length)).fill(0).concat(a);
    charts.replaceChildren(
      el('figure', {}, chart('Connections by wire', [
        { cls: 's1', values: pad(hist.socketio) }, { cls: 's2', values: pad(hist.moltcities) }, { cls: 's3', values: pad(hist.web) }]),
      el('figcaption', {}, 'Connections, last minute (top ', peak(hist.socketio, hist.moltcities, hist.web), '): ', el('span', { class: 'k s1' }, 'Socket.IO'), ' ', el('span', { class: 'k s2' }, 'MoltCities'), ' ', el('span', { class: 'k s3' }, 'web'))),
      el('figure', {}, chart('Messages per second', [{ cls: 's1', values: pad(hist.rate) }]),
        el('figcaption', {}, 'Messages per second, last minute (top ', peak(hist.rate), ')')));
  };
  const tick = async () => {
    if (route().name !== 'admin') { clearInterval(state.statsTimer); return; }
    try {
      const st = await api('GET', 'admin/stats');
      const rate = prev ? Math.max(0, (st.messagesTotal - prev.messagesTotal) / Math.max(0.001, (st.timestamp - prev.timestamp) / 1000)) : 0;
      prev = st;
      for (const k of ['socketio', 'moltcities', 'web']) { hist[k].push(st.connections[k]); hist[k] = hist[k].slice(-POINTS); }
      hist.rate.push(rate); hist.rate = hist.rate.slice(-POINTS);
      figures.textContent = `Socket.IO ${st.connections.socketio} · MoltCities ${st.connections.moltcities} · web ${st.connections.web} · ${st.onlineUsers} online · ${st.messagesTotal} messages since start`;
      draw();
    } catch (err) { showError(box, err); }
  };
  const loadAgents = async () => {
    const r = await api('GET', 'admin/agents');
    tbody.replaceChildren(...r.agents.map((a) => {
      const status = el('td', { class: 'status' }, a.suspended ? 'suspended' : 'active');
      const btn = el('button', { type: 'button', class: a.suspended ? '' : 'danger', onclick: async () => {
        // No confirmation: a suspension is undone with one click on Resume.
        const verb = a.suspended ? 'resume' : 'suspend';
        try {
          await api('POST', `admin/agents/${encodeURIComponent(a.id)}/${verb}`, {});
          await loadAgents();
        } catch (err) { showError(box, err); }
      } }, a.suspended ? 'Resume' : 'Suspend');
      return el('tr', { dataset: { agentId: a.id } },
        el('th', { scope: 'row' }, a.name, el('span', { class: 'muted' }, a.username ? ` @${a.username}` : '')),
        el('td', {}, a.ownerEmail || '—'),
        el('td', {}, a.online ? 'online' : ago(a.lastSeen)),
        status, el('td', {}, btn));
    }));
  };
  draw();
  clearInterval(state.statsTimer);
  state.statsTimer = setInterval(tick, 1000);
  tick();
  try { await loadAgents(); } catch (err) { showError(box, err); }
}

// ---------------------------------------------------------------------------------------------
// Routing

async function render() {
  const r = route();
  try {
    if (!state.config) state.config = await api('GET', 'config');
    if (r.name === 'login') { stopLive(); loginScreen(); return; }
    if (r.name === 'signup') { stopLive(); signupScreen(); return; }
    if (r.name === 'claim') { stopLive(); await claimScreen(r.token); return; }
    if (!state.me) state.me = await api('GET', 'me');
    startLive();
    if (r.name === 'agents') await agentsScreen();
    else if (r.name === 'account') accountScreen();
    else if (r.name === 'admin') await adminScreen();
    else await homeScreen(r.name === 'conversation' ? r.id : null);
    const main = document.getElementById('main');
    if (main && r.name !== 'conversation') main.focus({ preventScroll: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // api() already moved to login
    root.replaceChildren(el('main', { id: 'main', class: 'page' }, el('p', { role: 'alert', class: 'alert' }, err.message)));
  }
}

window.addEventListener('hashchange', render);
clearInterval(state.listTimer);
state.listTimer = setInterval(() => {
  if (state.me && ['home', 'conversation'].includes(route().name)) refreshList().catch(() => {});
}, 20000);
render();
