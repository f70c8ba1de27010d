//! Sequences the protocol (`crate::oidc`) and the browser (`crate::browser`) into sign-in, callback
//! completion, renewal and the two sign-outs, and offers them to the UI through one context and
//! `use_auth()`.
//!
//! The UI depends on this module only; protocol rules stay in `oidc`, browser calls in `browser`.

mod api;
mod documents;
mod dpop;
mod error;
mod flow;
mod popup;
mod provider;
mod renew;
mod sign_out;
mod state;
mod tabs;

pub use api::{ApiError, ApiRequest};
pub use error::AuthError;
/// The API helper's method and response types (gloo-net's), so an app needs no dependency of its own to use
/// [`ApiRequest::new`] and [`AuthHandle::fetch`]'s answer.
pub use gloo_net::http::{Method, Response};
pub use popup::PopupError;
pub use provider::{AuthHandle, AuthProvider, Providers, use_auth, use_providers};
/// The reducer's actions: public because `AuthState` is a Yew `Reducible`; not part of the API.
#[doc(hidden)]
pub use state::AuthAction;
pub use state::{AuthEvent, AuthState, Reconnecting, SignedOutReason};

/// The clock the session's expiry is measured with (Unix seconds), for views that count down.
pub use crate::browser::clock::now;
