//! Every way a sign-in or sign-out can fail, as one typed error the UI can explain.
//!
//! Each variant keeps the protocol layer's error as its source; none of them holds a token.

use std::fmt;

use crate::browser::dpop_key::KeyError;
use crate::browser::http::HttpError;
use crate::browser::storage::StorageError;
use crate::browser::webcrypto::WebCryptoError;
use crate::oidc::fault::{Verdict, classify};
use crate::oidc::{
    callback::CallbackError,
    config::ConfigError,
    discovery::DiscoveryError,
    id_token::IdTokenError,
    jwks::{JwksError, KeySelectionError},
    logout::LogoutError,
    par::ParError,
    token::TokenError,
    userinfo::UserInfoError,
};

/// The JSON documents the app fetches with a plain GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
/// ```no_run
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthState, use_auth};
/// # #[function_component(Failure)]
/// # fn failure() -> Html {
/// let auth = use_auth();
/// if let AuthState::Failed(error) = auth.state() {
///     return html! { <p role="alert">{ error.to_string() }{ error.provider_description().unwrap_or_default() }</p> };
/// }
/// html! {}
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    #[error("the sign-in request could not be pushed to the provider (RFC 9126): {0}")]
    Par(#[from] ParError),
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
    /// A sign-in in a window of its own did not complete: the browser blocked the window, or it was closed.
    #[error("{0}")]
    Popup(#[from] super::PopupError),
    #[error(
        "the provider metadata saved at sign-in differs from the one the provider publishes (was this tab's \
         storage tampered with?); the sign-in was stopped before the code was sent anywhere"
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
    /// A renewal of a signed-in session failed for good (not for the network or a provider outage, which are
    /// retried): shown as the end of that session, never as a failed sign-in.
    #[error("the session could not be renewed: {0}")]
    Renewal(#[source] Box<AuthError>),
}

impl AuthError {
    /// The provider's own words (`error_description`), if it sent any. Untrusted text: render it as
    /// text, never as markup.
    pub fn provider_description(&self) -> Option<&str> {
        match self {
            AuthError::Callback(CallbackError::Provider { description, .. })
            | AuthError::Token(TokenError::Provider { description, .. })
            | AuthError::Par(ParError::Provider { description, .. }) => description.as_deref(),
            AuthError::Renewal(error) => error.provider_description(),
            _ => None,
        }
    }

    /// What this failure of a renewal means for the session: the one table of [`classify`], extended to the
    /// failures around the token request (the documents it needs, the DPoP key, the other tabs).
    pub fn verdict(&self) -> Verdict {
        match self {
            AuthError::Token(error) => classify(error.answer()),
            AuthError::Renewal(error) => error.verdict(),
            // Not sent, because it would have been refused; or the key the tokens are bound to is gone.
            AuthError::RefreshTokenSuperseded | AuthError::DpopKeyMissing => Verdict::GrantGone,
            // An ID token signed with an algorithm the provider does not list: a rule broken, not weather.
            AuthError::Discovery(DiscoveryError::UnadvertisedAlg { .. }) => Verdict::Refused,
            // Discovery or keys out of reach, answered with an error status, or not whole (a captive portal's page,
            // a proxy's error, a deployment under way): weather. So is IndexedDB failing for a moment, the key may
            // still be there.
            AuthError::Unreachable { .. }
            | AuthError::Status { .. }
            | AuthError::Discovery(_)
            | AuthError::Jwks(_)
            | AuthError::DpopKey(_) => Verdict::Transient,
            _ => Verdict::Refused,
        }
    }

    /// A failure worth retrying: the network, or the provider failing or asking to slow down.
    pub fn is_transient(&self) -> bool {
        self.verdict() == Verdict::Transient
    }

    /// The seconds the provider asked to wait before the next attempt (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::Token(error) => error.retry_after(),
            AuthError::Renewal(error) => error.retry_after(),
            _ => None,
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

    fn provider(status: u16, error: &str) -> AuthError {
        AuthError::Token(TokenError::Provider {
            error: error.to_owned(),
            description: None,
            uri: None,
            status,
            retry_after: None,
        })
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn what_a_renewal_retries_and_what_ends_the_session() {
        let status = |status| {
            AuthError::Token(TokenError::Status {
                status,
                retry_after: None,
            })
        };
        let unreachable = AuthError::Unreachable {
            document: Document::Jwks,
            source: HttpError::Network("offline".into()),
        };
        let table = [
            // Weather: retried, the session kept.
            (status(503), Verdict::Transient),
            (status(429), Verdict::Transient),
            (provider(503, "temporarily_unavailable"), Verdict::Transient),
            (provider(429, "invalid_grant"), Verdict::Transient),
            (provider(503, "invalid_grant"), Verdict::Transient),
            (status(502), Verdict::Transient),
            (provider(400, "use_dpop_nonce"), Verdict::Transient),
            (unreachable, Verdict::Transient),
            (
                AuthError::Status {
                    document: Document::Discovery,
                    status: 502,
                },
                Verdict::Transient,
            ),
            // The grant is gone, or the key the tokens are bound to.
            (provider(400, "invalid_grant"), Verdict::GrantGone),
            (AuthError::RefreshTokenSuperseded, Verdict::GrantGone),
            (AuthError::DpopKeyMissing, Verdict::GrantGone),
            // The configuration; anything else the provider says stands.
            (provider(401, "invalid_client"), Verdict::Misconfigured),
            (status(400), Verdict::Refused),
            (AuthError::BadSignature, Verdict::Refused),
            (
                AuthError::Discovery(DiscoveryError::UnadvertisedAlg { alg: "HS256" }),
                Verdict::Refused,
            ),
            (
                AuthError::Status {
                    document: Document::Jwks,
                    status: 404,
                },
                Verdict::Transient,
            ),
        ];
        for (error, verdict) in table {
            assert_eq!(error.verdict(), verdict, "{error}");
            // A renewal's failure keeps its inner verdict.
            let wrapped = AuthError::Renewal(Box::new(error));
            assert_eq!(wrapped.verdict(), verdict, "{wrapped}");
        }
        assert!(status(502).is_transient());
        assert!(!provider(400, "invalid_grant").is_transient());
    }
}
