//! Pure OpenID Connect protocol logic: configuration, discovery, PKCE/state/nonce, the authorization request, the
//! callback, the token exchange, ID token and UserInfo checks, the logout URL and the session model. It never
//! imports web_sys, js_sys, gloo, yew or wasm_bindgen: URLs, data, `now` and randomness come in as arguments, and
//! HTTP goes through an injected `oauth2::AsyncHttpClient`.

pub mod authorize;
pub mod callback;
pub mod config;
pub mod discovery;
pub mod id_token;
pub mod pkce;
pub mod secret;
pub mod token;

#[cfg(test)]
mod testing;

pub use authorize::{AuthorizationRequest, PendingSignIn, authorization_request, safe_return_path};
pub use callback::{
    CALLBACK_PARAMS, CallbackError, CallbackResponse, parse_callback, verify_callback,
};
pub use config::{Config, ConfigError};
pub use discovery::{DiscoveryError, ProviderMetadata, discovery_url, parse_metadata};
pub use id_token::{
    Expectations, IdTokenClaims, IdTokenError, JoseHeader, Jws, SigningAlgorithm, decode,
    validate_claims,
};
pub use secret::{
    AccessToken, AuthorizationCode, IdToken, Nonce, PkceVerifier, RefreshToken, State,
};
pub use token::{TokenError, TokenResponse, exchange_code};

// Unit tests also run in a real browser with `wasm-pack test` / `wasm-bindgen-test-runner`. The marker is a
// link-section byte, so repeating it in another module is harmless.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
