//! Every way a sign-in or sign-out can fail, as one typed error the UI can explain.
//!
//! Each variant keeps the protocol layer's error as its source; none of them holds a token.

use std::fmt;

use crate::browser::dpop_key::KeyError;
use crate::browser::http::HttpError;
use crate::browser::storage::StorageError;
use crate::browser::webcrypto::WebCryptoError;
use crate::oidc::{
    callback::CallbackError,
    config::ConfigError,
    discovery::DiscoveryError,
    id_token::IdTokenError,
    jwks::{JwksError, KeySelectionError},
    logout::LogoutError,
    token::TokenError,
    userinfo::UserInfoError,
};

/// The JSON documents the app fetches with a plain GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Config,
    Discovery,
    Jwks,
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Document::Config => "config.json",
            Document::Discovery => "the provider's discovery document",
            Document::Jwks => "the provider's signing keys (jwks_uri)",
        })
    }
}

/// Why a sign-in, a renewal or a sign-out failed; shown by `AuthState::Failed`. Its text names the failed check
/// and never holds a token.
///
/// ```ignore
/// if let AuthState::Failed(error) = auth.state() {
///     html! { <p role="alert">{ error.to_string() }{ error.provider_description().unwrap_or_default() }</p> }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{document} could not be loaded: {source}")]
    Unreachable {
        document: Document,
        #[source]
        source: HttpError,
    },
    #[error("{document} could not be loaded: the server answered HTTP {status}")]
    Status { document: Document, status: u16 },
    #[error("config.json is invalid: {0}")]
    Config(#[from] ConfigError),
    #[error("the provider's discovery document was rejected: {0}")]
    Discovery(#[from] DiscoveryError),
    #[error("the sign-in response was rejected: {0}")]
    Callback(#[from] CallbackError),
    #[error("the token request failed: {0}")]
    Token(#[from] TokenError),
    #[error("the ID token was rejected: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("the provider's signing keys were rejected: {0}")]
    Jwks(#[from] JwksError),
    #[error("no usable signing key for the ID token: {0}")]
    SigningKey(#[from] KeySelectionError),
    #[error("the ID token's signature could not be checked: {0}")]
    WebCrypto(#[from] WebCryptoError),
    #[error("the ID token's signature is invalid (OIDC Core 3.1.3.7 step 6)")]
    BadSignature,
    #[error("the user info was rejected: {0}")]
    UserInfo(#[from] UserInfoError),
    #[error("sign-out failed: {0}")]
    Logout(#[from] LogoutError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("another tab renewed this session, and no open tab holds the renewed tokens")]
    RefreshTokenSuperseded,
    #[error("the browser refused to open {0}")]
    Navigation(&'static str),
    #[error(
        "the provider metadata saved at sign-in differs from the one the provider publishes (was this tab's \
         storage tampered with?); the tokens just received were revoked and discarded"
    )]
    MetadataChanged,
    #[error("{0}")]
    DpopKey(#[from] KeyError),
    #[error(
        "this session's DPoP key is gone from the browser (IndexedDB), so its tokens cannot be used; sign in again"
    )]
    DpopKeyMissing,
    #[error("a DPoP proof could not be made: {0}")]
    DpopProof(#[from] crate::oidc::dpop::DpopError),
}

impl AuthError {
    /// The provider's own words (`error_description`), if it sent any. Untrusted text: render it as
    /// text, never as markup.
    pub fn provider_description(&self) -> Option<&str> {
        match self {
            AuthError::Callback(CallbackError::Provider { description, .. })
            | AuthError::Token(TokenError::Provider { description, .. }) => description.as_deref(),
            _ => None,
        }
    }

    /// The provider refused a refresh token (RFC 6749 5.2 `invalid_grant`): the session cannot be renewed.
    pub fn is_invalid_grant(&self) -> bool {
        match self {
            AuthError::Token(TokenError::Provider { error, .. }) => error == "invalid_grant",
            // Not sent, because it would have been refused.
            AuthError::RefreshTokenSuperseded => true,
            _ => false,
        }
    }

    /// A failure worth retrying: the network, or the provider answering 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            AuthError::Unreachable { .. } | AuthError::Token(TokenError::Http(_)) => true,
            // IndexedDB failing for a moment (the key may still be there); a provider asking for a DPoP nonce a
            // second time (a cluster whose nodes rotate nonces): the next attempt sends the latest nonce.
            AuthError::DpopKey(_) => true,
            AuthError::Token(TokenError::Provider { error, .. }) => error == "use_dpop_nonce",
            AuthError::Status { status, .. } | AuthError::Token(TokenError::Status { status }) => {
                *status >= 500
            }
            _ => false,
        }
    }

    /// A configuration problem: the app cannot work until `config.json` is fixed.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            AuthError::Config(_)
                | AuthError::Unreachable {
                    document: Document::Config,
                    ..
                }
                | AuthError::Status {
                    document: Document::Config,
                    ..
                }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(error: &str) -> AuthError {
        AuthError::Token(TokenError::Provider {
            error: error.to_owned(),
            description: None,
            uri: None,
        })
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn what_a_renewal_retries_and_what_ends_the_session() {
        // Worth another attempt before the access token runs out.
        assert!(AuthError::Token(TokenError::Status { status: 503 }).is_transient());
        assert!(
            provider("use_dpop_nonce").is_transient(),
            "a second nonce challenge (RFC 9449 8)"
        );
        // Final: the grant is gone, or the key the tokens are bound to.
        assert!(!provider("invalid_grant").is_transient());
        assert!(provider("invalid_grant").is_invalid_grant());
        assert!(!AuthError::DpopKeyMissing.is_transient());
        assert!(!AuthError::Token(TokenError::Status { status: 400 }).is_transient());
    }
}
