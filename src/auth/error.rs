//! Every way a sign-in or sign-out can fail, as one typed error the UI can explain.
//!
//! Each variant keeps the protocol layer's error as its source; none of them holds a token.

use crate::browser::http::HttpError;
use crate::browser::storage::StorageError;
use crate::oidc::{
    callback::CallbackError, config::ConfigError, discovery::DiscoveryError,
    id_token::IdTokenError, logout::LogoutError, token::TokenError, userinfo::UserInfoError,
};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("config.json could not be loaded: {0}")]
    ConfigUnreachable(#[source] HttpError),
    #[error("config.json could not be loaded: the server answered HTTP {0}")]
    ConfigStatus(u16),
    #[error("config.json is invalid: {0}")]
    Config(#[from] ConfigError),
    #[error("the provider's discovery document could not be fetched: {0}")]
    DiscoveryUnreachable(#[source] HttpError),
    #[error("the provider's discovery document could not be fetched: HTTP {0}")]
    DiscoveryStatus(u16),
    #[error("the provider's discovery document was rejected: {0}")]
    Discovery(#[from] DiscoveryError),
    #[error("the sign-in response was rejected: {0}")]
    Callback(#[from] CallbackError),
    #[error("the token request failed: {0}")]
    Token(#[from] TokenError),
    #[error("the ID token was rejected: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("the user info was rejected: {0}")]
    UserInfo(#[from] UserInfoError),
    #[error("sign-out failed: {0}")]
    Logout(#[from] LogoutError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("the browser refused to open {0}")]
    Navigation(&'static str),
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

    /// A configuration problem: the app cannot work until `config.json` is fixed.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            AuthError::ConfigUnreachable(_) | AuthError::ConfigStatus(_) | AuthError::Config(_)
        )
    }
}
