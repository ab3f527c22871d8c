// The signed-in frame: header, navigation, log out.

import { root, el } from './dom.js';
import { api } from './api.js';
import { state } from './state.js';
import { signedOut } from './session.js';

export function shell(active, content) {
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
