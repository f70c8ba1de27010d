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
                <p>{ "Fix config.json next to index.html and reload. The README lists every field." }</p>
            </section>
        };
    }
    if let AuthError::Renewal(cause) = error {
        return renewal_failed(auth, cause);
    }
    let auth = auth.clone();
    let dismiss = Callback::from(move |_| auth.dismiss_error());
    html! {
        <section class="card error" data-testid="auth-error" role="alert">
            <h2>{ "Sign-in failed" }</h2>
            <pre>{ error.to_string() }</pre>
            if let Some(description) = error.provider_description() {
                <p>{ "The provider said: " }<q data-testid="provider-description">{ description }</q></p>
            }
            <p>{ "Nothing was stored from this attempt." }</p>
            <div class="actions">
                <button data-testid="dismiss-error" onclick={dismiss}>{ "Continue" }</button>
            </div>
        </section>
    }
}

/// A signed-in session that ended because its renewal failed for good (not the network: that is retried). It was a
/// session, not a sign-in attempt, and it is over: the view says so and offers a sign-in back to this page.
fn renewal_failed(auth: &AuthHandle, cause: &AuthError) -> Html {
    let why = if cause.verdict() == Verdict::Misconfigured {
        "The provider does not accept this app's client (its client_id or its registration): the app's \
         configuration must be fixed before a session can be renewed."
    } else {
        "The provider's answer to the renewal could not be accepted, so the session was ended."
    };
    html! {
        <section class="card error" data-testid="auth-error" data-kind="renewal" role="alert">
            <h2>{ "Your session could not be renewed" }</h2>
            <pre>{ cause.to_string() }</pre>
            if let Some(description) = cause.provider_description() {
                <p>{ "The provider said: " }<q data-testid="provider-description">{ description }</q></p>
            }
            <p>{ why }</p>
            <div class="actions">{ sign_in_button(auth, "Sign in again") }</div>
        </section>
    }
}
