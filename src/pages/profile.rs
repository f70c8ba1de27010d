//! A protected page: the validated claims, token expiry and granted scopes. A signed-out visit starts
//! a sign-in that comes back here.

use yew::prelude::*;

use crate::auth::{AuthHandle, AuthState};
use crate::components::{require_auth::RequireAuth, time::moment};

/// A plain function given the page frame's auth handle, not a component: it keeps no state of its own.
pub fn profile(auth: &AuthHandle) -> Html {
    html! { <RequireAuth>{ profile_card(auth) }</RequireAuth> }
}

/// The card, for `RequireAuth` to show once signed in. A plain function, not a component: every component type
/// costs about 1 KB gzip of Yew's lifecycle code in the first load.
fn profile_card(auth: &AuthHandle) -> Html {
    let AuthState::SignedIn(session) = auth.state() else {
        return html! {};
    };
    let claims = &session.claims;
    let now = crate::auth::now();
    let row = |name: &str, value: Option<String>| match value {
        Some(value) => html! { <><dt>{ name.to_owned() }</dt><dd>{ value }</dd></> },
        None => html! {},
    };
    html! {
        <section class="card" data-testid="profile">
            <h1>{ "Profile" }</h1>
            <dl>
                { row("Name", Some(session.display_name.clone())) }
                { row("Subject", Some(claims.sub.clone())) }
                { row("Email", claims.email.clone()) }
                { row("Preferred username", claims.preferred_username.clone()) }
                { row("Issuer", Some(claims.iss.clone())) }
                { row("Audience", Some(claims.aud.join(" "))) }
                <dt>{ "Issued" }</dt><dd>{ moment(claims.iat, now) }</dd>
                <dt>{ "ID token expires" }</dt><dd>{ moment(claims.exp, now) }</dd>
                <dt>{ "Access token expires" }</dt><dd>{ moment(session.expires_at, now) }</dd>
                { row("Scopes", Some(session.scopes.join(" "))) }
                { row("Refresh token held", Some(if session.refresh_token.is_some() { "yes" } else { "no" }.to_owned())) }
            </dl>
        </section>
    }
}
