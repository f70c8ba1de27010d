// The benchmark's reference: the same app as ours (UI contract, routes, config.json, sessionStorage, code + PKCE),
// written the plain way with oidc-client-ts and no UI framework, so the figures compare the sign-in machinery.
// Not a product: it exists to be measured against (bench/run.mjs).

import { UserManager, WebStorageStateStore } from 'oidc-client-ts';

const ORIGIN = window.location.origin;

// --- rendering: DOM nodes built with textContent, so provider text is never parsed as markup ---

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'onclick') el.addEventListener('click', value);
    else el.setAttribute(name, value);
  }
  el.append(...children.filter((c) => c !== null && c !== undefined));
  return el;
}

function render(content, who) {
  const header = h('header', {}, h('nav', {}, h('a', { href: '/' }, 'Home')), who ? h('span', {}, who) : null);
  const main = h('main', {}, ...content);
  document.body.replaceChildren(header, main);
}

const loading = (message) => render([h('section', { class: 'card', 'data-testid': 'auth-loading', 'aria-busy': 'true' },
  h('p', {}, message))]);

const NOTICES = {
  local: 'You are signed out here. The provider still remembers you.',
  provider: 'You are signed out here and at the provider.',
  expired: 'Your session expired.',
};

function displayName(user) {
  const { name, preferred_username: username, sub } = user.profile;
  return name || username || sub;
}

// --- the app ---

class ConfigError extends Error {}

async function loadConfig() {
  let res;
  try {
    res = await fetch(new URL('config.json', `${ORIGIN}/`));
  } catch (err) {
    throw new ConfigError(`config.json could not be fetched: ${err.message}`);
  }
  if (!res.ok) throw new ConfigError(`config.json: HTTP ${res.status}`);
  let config;
  try {
    config = await res.json();
  } catch {
    throw new ConfigError('config.json is not valid JSON');
  }
  for (const field of ['issuer', 'client_id']) {
    if (typeof config[field] !== 'string' || config[field] === '') {
      throw new ConfigError(`config.json: "${field}" is required`);
    }
  }
  return config;
}

function userManager(config) {
  const scopes = new Set((config.scope || 'openid profile email').split(' ').filter(Boolean));
  scopes.add('openid');
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  return new UserManager({
    authority: config.issuer,
    client_id: config.client_id,
    redirect_uri: config.redirect_uri || `${ORIGIN}/callback`,
    post_logout_redirect_uri: config.post_logout_redirect_uri || `${ORIGIN}/`,
    response_type: 'code', // PKCE S256 is on by default for the code flow
    scope: [...scopes].join(' '),
    clockSkewInSeconds: config.leeway_seconds ?? 60,
    // The user is kept in sessionStorage by default; pending sign-in state defaults to localStorage, so it is
    // moved to sessionStorage too, like ours. Everything else stays at the library's defaults.
    userStore: store,
    stateStore: store,
    // The library's default, stated because the benchmark's provider puts the profile claims in the ID token (as
    // Keycloak, Auth0, Okta, Entra ID and Google do by default): the name is there, so UserInfo is not asked.
    loadUserInfo: false,
  });
}

function signedOut(manager, reason) {
  const notice = NOTICES[reason];
  render([
    notice ? h('section', { class: 'card notice', 'data-testid': 'signed-out-notice', 'data-kind': reason },
      h('p', {}, notice)) : null,
    h('section', { class: 'card' },
      h('h1', {}, 'You are signed out'),
      h('div', { class: 'actions' },
        h('button', {
          class: 'primary',
          'data-testid': 'sign-in',
          onclick: () => manager.signinRedirect().catch((err) => failed(manager, err)),
        }, 'Sign in'))),
  ]);
}

function signedIn(manager, user) {
  const name = displayName(user);
  render([
    h('section', { class: 'card' },
      h('h1', {}, 'Signed in as ', h('span', { 'data-testid': 'user-name' }, name)),
      h('div', { class: 'actions' },
        h('button', {
          'data-testid': 'sign-out-local',
          onclick: () => manager.removeUser().then(() => signedOut(manager, 'local')),
        }, 'Sign out here'),
        h('button', {
          'data-testid': 'sign-out-provider',
          // Removes the user from storage, then navigates to end_session_endpoint with id_token_hint. Without
          // state data oidc-client-ts sends no `state`, and the return could not be told from a plain visit.
          onclick: () => manager.signoutRedirect({ state: 'provider' }).catch((err) => failed(manager, err)),
        }, 'Sign out everywhere'))),
  ], name);
}

function failed(manager, err) {
  render([
    h('section', { class: 'card error', 'data-testid': 'auth-error', role: 'alert' },
      h('h2', {}, 'Sign-in failed'),
      h('pre', {}, String(err && err.message ? err.message : err)),
      h('div', { class: 'actions' },
        h('button', { 'data-testid': 'dismiss-error', onclick: () => signedOut(manager) }, 'Continue'))),
  ]);
}

async function boot() {
  loading('Loading…');
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    render([h('section', { class: 'card error', 'data-testid': 'config-error', role: 'alert' },
      h('h2', {}, 'The app is not configured'), h('pre', {}, err.message))]);
    return;
  }
  const manager = userManager(config);
  const here = new URL(window.location.href);

  if (here.pathname === '/callback') {
    // code and state leave the address bar before the token request (RFC 9700 4.2.4).
    window.history.replaceState(null, '', '/callback');
    loading('Completing sign-in…');
    try {
      const user = await manager.signinRedirectCallback(here.href);
      window.history.replaceState(null, '', '/');
      signedIn(manager, user);
    } catch (err) {
      window.history.replaceState(null, '', '/');
      failed(manager, err);
    }
    return;
  }

  if (here.searchParams.has('state')) {
    // Back from the provider's end_session_endpoint.
    window.history.replaceState(null, '', here.pathname);
    try {
      await manager.signoutRedirectCallback(here.href);
      signedOut(manager, 'provider');
    } catch (err) {
      failed(manager, err);
    }
    return;
  }

  const user = await manager.getUser();
  if (user && !user.expired) {
    signedIn(manager, user);
  } else if (user) {
    await manager.removeUser();
    signedOut(manager, 'expired');
  } else {
    signedOut(manager);
  }
}

boot();
