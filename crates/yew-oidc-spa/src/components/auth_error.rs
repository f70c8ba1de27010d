//! A failed sign-in or a broken configuration, explained. Provider text is rendered as text, never
//! as markup.

use yew::prelude::*;

use crate::auth::{AuthError, AuthHandle};
use crate::components::sign_in_button::sign_in_button;
use crate::oidc::fault::Verdict;

/// A plain function, not a component: it keeps no state of its own, and every component type costs about 1 KB gzip
/// of Yew's lifecycle code in the first load.
pub fn auth_error_view(auth: &AuthHandle, error: &AuthError) -> Html {
    if error.is_config() {
        return html! {
            <section class="card error" data-testid="config-error" role="alert">
                <h2>{ "The app is not configured" }</h2>
                <pre>{ error.to_string() }</pre>
                <p>{ "Fix config.json next to index.html and reload. docs/configuration.md lists every field." }</p>
            </section>
        };
    }
    // A renewal that failed for good (the network is retried, never shown here) ended a session; it was not a
    // sign-in attempt, so it says so and offers a sign-in back to this page instead of "Continue".
    let (kind, heading, shown, after, action) = match error {
        AuthError::Renewal(cause) => (
            Some("renewal"),
            "Your session could not be renewed",
            &**cause,
            if cause.verdict() == Verdict::Misconfigured {
                "The provider does not accept this app's client (its client_id or registration): the app's \
                 configuration must be fixed."
            } else {
                "The session has ended."
            },
            sign_in_button(auth, "Sign in again"),
        ),
        // The page is as it was: say so, and offer the sign-in in this window, which no browser blocks.
        AuthError::Popup(_) => (
            Some("popup"),
            "The sign-in window did not complete",
            error,
            "Nothing changed on this page.",
            html! { <>{ sign_in_button(auth, "Sign in in this window") }{ dismiss_button(auth) }</> },
        ),
        _ => (
            None,
            "Sign-in failed",
            error,
            "Nothing was stored from this attempt.",
            dismiss_button(auth),
        ),
    };
    html! {
        <section class="card error" data-testid="auth-error" data-kind={kind} role="alert">
            <h2>{ heading }</h2>
            <pre>{ shown.to_string() }</pre>
            if let Some(description) = shown.provider_description() {
                <p>{ "The provider said: " }<q data-testid="provider-description">{ description }</q></p>
            }
            <p>{ after }</p>
            <div class="actions">{ action }</div>
        </section>
    }
}

/// "Continue": leaves the error for whatever session this tab still holds.
fn dismiss_button(auth: &AuthHandle) -> Html {
    let auth = auth.clone();
    let dismiss = Callback::from(move |_| auth.dismiss_error());
    html! { <button data-testid="dismiss-error" onclick={dismiss}>{ "Continue" }</button> }
}
