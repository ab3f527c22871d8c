// Account: change the password, log out everywhere.

import { el, alertBox, showError, field } from './dom.js';
import { api } from './api.js';
import { state } from './state.js';
import { shell } from './shell.js';
import { signedOut } from './session.js';

export function accountScreen() {
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
