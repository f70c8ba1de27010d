//! The redirect URI. The auth provider completes the sign-in and moves on; this page only shows
//! progress or what went wrong.

use yew::prelude::*;

use crate::auth::{AuthHandle, AuthState, Providers};
use crate::components::{auth_error::auth_error_view, loading::loading};

/// A plain function given the page frame's auth handles (the main provider's and the others'), not a component: it
/// keeps no state of its own. Whichever provider failed says why.
pub fn callback(auth: &AuthHandle, more: &Providers) -> Html {
    if let Some((auth, error)) = every(auth, more).find_map(|auth| match auth.state() {
        AuthState::Failed(error) => Some((auth, error)),
        _ => None,
    }) {
        return auth_error_view(auth, error);
    }
    if finished(auth, more) {
        // Signed in or out already: the page frame moves on to the home page (see `finished`).
        return html! {};
    }
    loading("Completing sign-in…")
}

/// Whether the callback has nothing left to do here: every provider of config.json is mounted and each is signed
/// in or out already (the one whose sign-in it completed, and the others, which left it alone), so the app moves on
/// to its home page. The page frame pushes that route after rendering, as yew-router's `Redirect` component did.
pub fn finished(auth: &AuthHandle, more: &Providers) -> bool {
    let mounted = more.iter().count() == auth.config().map_or(0, |config| config.providers.len());
    mounted
        && every(auth, more).all(|auth| {
            matches!(
                auth.state(),
                AuthState::SignedIn(_) | AuthState::SignedOut(_)
            )
        })
}

/// The main provider's handle, then the others'.
fn every<'a>(auth: &'a AuthHandle, more: &'a Providers) -> impl Iterator<Item = &'a AuthHandle> {
    std::iter::once(auth).chain(more.iter().map(|(_, auth)| auth))
}
