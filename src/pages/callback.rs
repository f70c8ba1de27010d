//! The redirect URI. The auth provider completes the sign-in and moves on; this page only shows
//! progress or what went wrong.

use yew::prelude::*;

use crate::auth::{AuthHandle, AuthState, Providers};
use crate::components::{auth_error::auth_error_view, loading::loading};

/// A plain function given the page frame's auth handles (the main provider's and the others'), not a component: it
/// keeps no state of its own. Whichever provider failed says why.
pub fn callback(auth: &AuthHandle, more: &Providers) -> Html {
    let all = || std::iter::once(auth).chain(more.iter().map(|(_, auth)| auth));
    if let Some((auth, error)) = all().find_map(|auth| match auth.state() {
        AuthState::Failed(error) => Some((auth, error)),
        _ => None,
    }) {
        return auth_error_view(auth, error);
    }
    if all().all(finished) {
        // Signed in or out already: the page frame moves on to the home page (see `finished`).
        return html! {};
    }
    loading("Completing sign-in…")
}

/// Whether the callback has nothing left to do here (signed in or out already), so the app moves on to its home
/// page. The page frame pushes that route after rendering, as yew-router's `Redirect` component did.
pub fn finished(auth: &AuthHandle) -> bool {
    matches!(
        auth.state(),
        AuthState::SignedIn(_) | AuthState::SignedOut(_)
    )
}
