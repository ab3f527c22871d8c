// The operator view: live charts of connections by wire and messages per second, every agent
// with suspend and resume.

import { el, svg, ago, alertBox, showError } from './dom.js';
import { api } from './api.js';
import { state, route, go } from './state.js';
import { shell } from './shell.js';

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

export async function adminScreen() {
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
      el('figcaption', {}, 'Connections, last minute (highest ', peak(hist.socketio, hist.moltcities, hist.web), '): ', el('span', { class: 'k s1' }, 'Socket.IO'), ' ', el('span', { class: 'k s2' }, 'MoltCities'), ' ', el('span', { class: 'k s3' }, 'web'))),
      el('figure', {}, chart('Messages per second', [{ cls: 's1', values: pad(hist.rate) }]),
        el('figcaption', {}, 'Messages per second, last minute (highest ', peak(hist.rate), ')')));
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
