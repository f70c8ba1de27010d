//! Pure OpenID Connect protocol logic: configuration, discovery, PKCE/state/nonce, the authorization request, the
//! callback, the token exchange, ID token and UserInfo checks, the logout URL and the session model. It never
//! imports web_sys, js_sys, gloo, yew or wasm_bindgen: URLs, data, `now` and randomness come in as arguments, and
//! HTTP goes through an injected `oauth2::AsyncHttpClient`.
//!
//! The order of a sign-in, for the auth layer:
//! 1. [`Config::from_json`], then [`discovery_url`] + [`parse_metadata`] with the configured
//!    [`Endpoints`](config::Endpoints) applied (or those endpoints alone). Only the callback may use a copy saved at
//!    sign-in, re-checked with [`ProviderMetadata::validate`] and compared with the published document; everything
//!    that sends a token afterwards uses metadata fetched during the page load.
//! 2. [`authorization_request`]: store `pending` keyed by its state, navigate to `url`.
//! 3. At the redirect URI: [`parse_callback`], look the pending record up by [`CallbackResponse::state`] and remove
//!    it (single use), strip [`CALLBACK_PARAMS`] from the address bar, then [`verify_callback`].
//! 4. [`exchange_code`], [`decode`] + signature ([`select_key`], then WebCrypto) + [`validate_claims`] with the
//!    pending nonce,
//!    optionally [`fetch_userinfo`] when [`Session::needs_userinfo`], then [`Session::new`].
//! 5. Sign-out: clear local state, then [`end_session_url`] (or [`end_session_form`] for a POST; both follow
//!    `Config::logout` for providers that sign out their own way); on return, [`verify_logout_return`].
//!
//! Calling an API: [`resource::check_origin`] before anything is sent, [`renewal::fresh_enough`] to decide on
//! renewing first, [`resource::is_invalid_token`] on a 401.
//!
//! Sender-constrained tokens: [`dpop`] builds DPoP proofs (RFC 9449) for the token requests and API calls, with the
//! hashing and signing left to WebCrypto.

// The files are grouped by stage (see each stage's module); the modules are named at the root, where the docs show
// them.
mod keys;
mod lifecycle;
mod provider;
mod sender;
mod sign_in;
mod sign_out;

pub mod secret;
pub mod stored;

pub use keys::{id_token, jwks};
pub use lifecycle::{fault, lineage, renewal, session, tab_message};
pub use provider::{config, discovery};
pub use sender::{challenge, dpop, resource};
pub use sign_in::{authorize, callback, par, pkce, token, userinfo};
pub use sign_out::{logout, revocation};

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use authorize::{AuthorizationRequest, PendingSignIn, authorization_request, safe_return_path};
pub use callback::{
    CALLBACK_PARAMS, CallbackError, CallbackResponse, parse_callback, verify_callback,
};
pub use config::{Config, ConfigError};
pub use discovery::{DiscoveryError, ProviderMetadata, discovery_url, parse_metadata};
pub use fault::{Answer, Verdict, classify, retry_delay};
pub use id_token::{
    Expectations, IdTokenClaims, IdTokenError, JoseHeader, Jws, SigningAlgorithm, decode,
    validate_claims,
};
pub use jwks::{
    JwkSet, JwksError, KeySelectionError, WebCryptoAlgorithm, parse_jwks, select_key, webcrypto,
};
pub use logout::{
    EndSessionForm, LOGOUT_RETURN_PARAMS, LogoutError, end_session_form, end_session_url,
    verify_logout_return,
};
pub use renewal::{Plan, plan};
pub use revocation::{Revocable, RevocationError, revoke};
pub use secret::{
    AccessToken, AuthorizationCode, IdToken, Nonce, PkceVerifier, RefreshToken, State,
};
pub use session::Session;
pub use token::{RefreshResponse, TokenError, TokenResponse, exchange_code, refresh_tokens};
pub use userinfo::{UserInfo, UserInfoError, fetch_userinfo};

// Unit tests also run in a real browser with `wasm-pack test` / `wasm-bindgen-test-runner`. The marker is a
// link-section byte, so repeating it in another module is harmless.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
