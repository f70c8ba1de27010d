//! Browser sign-in for Yew apps with OpenID Connect: the authorization code flow with PKCE entirely in the
//! browser, the session in `sessionStorage`, renewal with refresh tokens across tabs, local and provider sign-out,
//! and API calls with the access token.
//!
//! Put one [`AuthProvider`] around the app, read the state and call the verbs through [`use_auth`], guard pages
//! with [`RequireAuth`], and call your API with [`AuthHandle::fetch`]. A complete app (also in
//! `examples/minimal`):
//!
//! ```no_run
//! use yew::prelude::*;
//! use yew_oidc_spa::{AuthProvider, AuthState, RequireAuth, use_auth};
//!
//! #[function_component(Greeting)]
//! fn greeting() -> Html {
//!     let auth = use_auth();
//!     match auth.state() {
//!         AuthState::SignedIn(session) => html! { <p>{ "Hello, " }{ &session.display_name }</p> },
//!         _ => html! { <button onclick={move |_| auth.sign_in("/")}>{ "Sign in" }</button> },
//!     }
//! }
//!
//! #[function_component(App)]
//! fn app() -> Html {
//!     // Reads config.json next to index.html; or pass `config={Rc::new(Config::from_json(..)?)}`.
//!     html! { <AuthProvider><Greeting /><RequireAuth><p>{ "Members only" }</p></RequireAuth></AuthProvider> }
//! }
//!
//! fn main() {
//!     yew::Renderer::<App>::new().render();
//! }
//! ```
//!
//! Module tree: dependencies point one way, `components` → `auth` → `browser` → [`oidc`], the pure protocol
//! crate `oidc-spa-core`, re-exported.

pub mod auth;
/// The thin browser layer (storage, address bar, fetch, locks, channels, the DPoP key store). Public for the crate's
/// own browser tests and the demo's; not part of the API: it may change in any release.
#[doc(hidden)]
pub mod browser;
pub mod components;

/// The pure protocol (crate `oidc-spa-core`): configuration, discovery, the sign-in's checks, the session model,
/// renewal and DPoP rules, with no browser in it.
pub use oidc_spa_core as oidc;

pub use auth::{
    ApiError, ApiRequest, AuthError, AuthEvent, AuthHandle, AuthProvider, AuthState, Method,
    PopupError, Response, SignedOutReason, use_auth,
};
pub use components::require_auth::RequireAuth;
pub use oidc::config::{AuthorizationParams, Config};
pub use oidc::resource::StepUp;

/// The names most apps use: `use yew_oidc_spa::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ApiError, ApiRequest, AuthError, AuthEvent, AuthHandle, AuthProvider, AuthState, Config,
        RequireAuth, SignedOutReason, use_auth,
    };
}
