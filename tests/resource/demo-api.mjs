// What the bundled provider and the demo API (server.mjs) must agree on, in one place: the API's client
// registration at the provider (it introspects tokens as this confidential client) and its resource identifier.

/** The API's client at the provider: no grant types, no redirect URIs; it only calls the introspection endpoint. */
export const API_CLIENT_ID = 'demo-api';

/**
 * The `demo-api` client's secret (client_secret_basic). A test constant, public like everything in this repository:
 * the provider and the API are loopback fixtures. API_CLIENT_SECRET overrides it, for both at once.
 */
export const API_CLIENT_SECRET = process.env.API_CLIENT_SECRET || 'demo-api-test-secret-0123456789abcdef';

/** The one scope the API defines; an app asks for it next to its OpenID scopes. The API does not require it. */
export const API_SCOPE = 'api:read';

export const DEFAULT_API_PORT = 9200;

/**
 * The API's resource identifier (RFC 8707 2): its base URL with the trailing slash a URL parser adds anyway, so
 * an app that normalizes the configured `resource` sends the very same string.
 */
export const resourceIdentifier = (port = DEFAULT_API_PORT) => `http://127.0.0.1:${port}/`;
