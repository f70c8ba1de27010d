// The provider's end-user interactions, as one Koa middleware mounted with `provider.use`: the login page, the
// credential check, the deny button, and consent granted silently for first-party clients. oidc-provider hands
// control here by redirecting to /interaction/:uid and takes it back through `interactionFinished`.

import { errors } from 'oidc-provider';

import { loginPage, renderError } from './pages.mjs';

const ROUTE = /^\/interaction\/([\w-]+)(?:\/(login|deny))?$/;
const MAX_FORM_BYTES = 8 * 1024;

async function readForm(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new errors.InvalidRequest('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The authentication level a login gives (OIDC Core 2 `acr`): the first one the request asks for that this provider
 * offers, the essential values of the `claims` parameter first (5.5.1.1), then `acr_values` (3.1.2.1); else the
 * lowest it offers. A test provider's password form stands for every level.
 */
function acrFor(params, offered) {
  let essential = [];
  try {
    essential = JSON.parse(params.claims ?? '{}')?.id_token?.acr?.values ?? [];
  } catch {
    // oidc-provider refused a claims parameter that is not JSON before the login page.
  }
  const requested = [...(Array.isArray(essential) ? essential : []), ...(params.acr_values ?? '').split(' ')];
  return requested.find((value) => offered.includes(value)) ?? offered[0];
}

export function handleInteraction(provider, { accounts, firstPartyClients, acrValues }) {
  // Every scope, OIDC claim and resource scope the provider says is missing, granted at once.
  async function grantEverythingRequested(details) {
    const { prompt: { details: missing }, params, session } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return details.grantId ? {} : { grantId };
  }

  async function finish(ctx, result, mergeWithLastSubmission) {
    ctx.respond = false; // interactionFinished writes the 303 itself
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission });
  }

  async function clientName(clientId) {
    const client = await provider.Client.find(clientId);
    return client?.clientName || clientId;
  }

  return async function interactions(ctx, next) {
    const match = ROUTE.exec(ctx.path);
    if (!match) return next();
    const [, uid, action] = match;
    ctx.set('Cache-Control', 'no-store');

    try {
      const expected = action ? 'POST' : 'GET';
      if (ctx.method !== expected) {
        ctx.status = 405;
        ctx.set('Allow', expected);
        return undefined;
      }

      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== uid) throw new errors.SessionNotFound('interaction does not match this page');
      const { prompt, params } = details;

      if (action === 'deny') {
        return finish(ctx, { error: 'access_denied', error_description: 'The user denied the request' }, false);
      }

      if (prompt.name === 'consent') {
        if (action || !firstPartyClients.has(params.client_id)) {
          throw new errors.InvalidRequest('this test provider only grants consent to its first-party client');
        }
        return finish(ctx, { consent: await grantEverythingRequested(details) }, true);
      }

      if (prompt.name !== 'login') {
        throw new errors.InvalidRequest(`unsupported interaction prompt: ${prompt.name}`);
      }

      const name = await clientName(params.client_id);
      if (!action) {
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientName: name, username: params.login_hint ?? '' });
        return undefined;
      }

      const form = await readForm(ctx.req);
      const username = form.get('username') ?? '';
      const account = accounts.get(username);
      if (!account || account.password !== (form.get('password') ?? '')) {
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientName: name, username, error: 'Wrong username or password.' });
        return undefined;
      }
      return finish(ctx, { login: { accountId: username, acr: acrFor(params, acrValues) } }, false);
    } catch (err) {
      if (!(err instanceof errors.OIDCProviderError)) throw err;
      ctx.status = err.statusCode ?? 400;
      await renderError(ctx, { error: err.message, error_description: err.error_description ?? '' });
      return undefined;
    }
  };
}
