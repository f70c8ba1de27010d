//! A failed sign-in or a broken configuration, explained. Provider text is rendered as text, never
//! as markup.

use yew::prelude::*;

use crate::auth::{AuthError, AuthHandle};

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
