// Sign-in screens: log in, sign up, claim an account with a one-time link.

import { root, el, alertBox, showError, field } from './dom.js';
import { api } from './api.js';
import { state, go } from './state.js';

function authPage(title, form, footer) {
  document.title = `${title} · agentgate`;
  root.replaceChildren(el('main', { id: 'main', class: 'auth', tabindex: '-1' },
    el('div', { class: 'auth-card' },
      el('p', { class: 'brand' }, el('img', { src: '/assets/icon.svg', alt: '', width: 28, height: 28 }), 'agentgate'),
      el('h1', {}, title), form, footer)));
  const first = form.querySelector('input');
  if (first) first.focus();
}

export function loginScreen() {
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

export function signupScreen() {
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

export async function claimScreen(token) {
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
