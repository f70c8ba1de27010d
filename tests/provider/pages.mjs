// HTML pages the bundled provider renders. Their data-testids are a contract with tests/e2e (and with anyone
// writing end-to-end tests against this provider): login-page, login-username, login-password, login-submit,
// login-deny, login-error, logout-confirm, logout-cancel, logout-success, provider-error.

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 24rem; margin: 3rem auto; padding: 0 1rem; }
    label, input, button { display: block; width: 100%; box-sizing: border-box; margin: .25rem 0; }
    input, button { padding: .5rem; font-size: 1rem; }
    .error { color: #a00; }
  </style>
</head>
<body>
${body}
</body>
</html>`;
}

// The deny button shares the form but posts to its own action and skips the `required` checks.
export function loginPage({ uid, clientName, username = '', error }) {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  return page('Sign in', `  <h1>Sign in to ${escapeHtml(clientName)}</h1>
  ${error ? `<p class="error" role="alert" data-testid="login-error">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="${action}/login" data-testid="login-page" autocomplete="off">
    <label for="username">Username</label>
    <input id="username" name="username" value="${escapeHtml(username)}" required autofocus data-testid="login-username">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required data-testid="login-password">
    <button type="submit" data-testid="login-submit">Sign in</button>
    <button type="submit" formaction="${action}/deny" formnovalidate data-testid="login-deny">Cancel and deny access</button>
  </form>`);
}

// `form` is the provider's own <form id="op.logoutForm"> carrying its xsrf token; both buttons submit it, and
// only the one with name="logout" ends the provider session.
export async function logoutSource(ctx, form) {
  ctx.type = 'html';
  ctx.body = page('Sign out', `  <h1>Sign out of the test provider?</h1>
  ${form}
  <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus data-testid="logout-confirm">Yes, sign me out</button>
  <button type="submit" form="op.logoutForm" data-testid="logout-cancel">No, stay signed in</button>`);
}

// Only shown when a logout request carries no post_logout_redirect_uri.
export async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed out', '  <h1 data-testid="logout-success">You are signed out of the test provider.</h1>');
}

export async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Provider error', `  <h1>The provider could not complete the request</h1>
  <dl data-testid="provider-error">
${Object.entries(out).map(([k, v]) => `    <dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}
  </dl>`);
}
