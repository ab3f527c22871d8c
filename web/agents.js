// My agents: online or not, last seen, rotate a leaked token, unbind.

import { el, ago, alertBox, showError } from './dom.js';
import { api } from './api.js';
import { shell } from './shell.js';

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

export async function agentsScreen() {
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
