//! A protected page: the validated claims, token expiry and granted scopes. A signed-out visit starts
//! a sign-in that comes back here.

use yew::prelude::*;

use crate::auth::{AuthState, SignedOutReason, use_auth};
use crate::components::{
    auth_error::AuthErrorView, loading::Loading, sign_in_button::SignInButton,
    signed_out_notice::SignedOutNotice, time::Moment,
};

#[function_component(Profile)]
pub fn profile() -> Html {
    let auth = use_auth();
    // Only a visitor who never signed in in this tab is sent to the provider at once; after a sign-out or an
    // expiry the notice explains what happened and the user chooses.
    let signed_out = matches!(
        auth.state(),
        AuthState::SignedOut(SignedOutReason::NoSession)
    );
    {
        let auth = auth.clone();
        use_effect_with(signed_out, move |signed_out| {
            if *signed_out {
                auth.sign_in_here();
            }
        });
    }
    match auth.state() {
        AuthState::SignedIn(session) => {
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
                        <dt>{ "Issued" }</dt><dd><Moment at={claims.iat} {now} /></dd>
                        <dt>{ "ID token expires" }</dt><dd><Moment at={claims.exp} {now} /></dd>
                        <dt>{ "Access token expires" }</dt><dd><Moment at={session.expires_at} {now} /></dd>
                        { row("Scopes", Some(session.scopes.join(" "))) }
                        { row("Refresh token held", Some(if session.refresh_token.is_some() { "yes" } else { "no" }.to_owned())) }
                    </dl>
                </section>
            }
        }
        AuthState::Failed(error) => html! { <AuthErrorView error={error.clone()} /> },
        AuthState::Loading | AuthState::SignedOut(SignedOutReason::NoSession) => {
            html! { <Loading message="Signing you in…" /> }
        }
        AuthState::SignedOut(reason) => {
            html! {
                <>
                    <SignedOutNotice reason={*reason} />
                    <section class="card">
                        <p>{ "This page needs you to be signed in." }</p>
                        <SignInButton label="Sign in and come back here" />
                    </section>
                </>
            }
        }
    }
}
