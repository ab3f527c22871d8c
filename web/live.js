// The live channel: one WebSocket to /web/live; after `ready` the page catches up by seq, so a
// reconnect or reload misses nothing and shows nothing twice.

import { root } from './dom.js';
import { state } from './state.js';
import { signedOut } from './session.js';
import { catchUp, refreshList, addMessages, markRead, conversationList } from './conversations.js';

export function startLive() {
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

export function stopLive() {
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
