//! A guard for routes that need a signed-in user: its children render only with a session; a visitor who never
//! signed in in this tab is sent to the provider and comes back to the same page; after a sign-out or an expiry
//! the reason is shown with a button, so nobody is bounced to the provider without asking.

use yew::prelude::*;

use crate::auth::{AuthState, SignedOutReason, use_auth};
use crate::components::{
    auth_error::auth_error_view, loading::loading, sign_in_button::sign_in_button,
    signed_out_notice::signed_out_notice,
};

#[derive(Properties, PartialEq)]
pub struct RequireAuthProps {
    #[prop_or_default]
    pub children: Html,
}

/// Renders its children only for a signed-in user.
///
/// ```ignore
/// html! { <RequireAuth><Orders /></RequireAuth> }
/// ```
#[function_component(RequireAuth)]
pub fn require_auth(props: &RequireAuthProps) -> Html {
    let auth = use_auth();
    let never_signed_in = matches!(
        auth.state(),
        AuthState::SignedOut(SignedOutReason::NoSession)
    );
    {
        let auth = auth.clone();
        use_effect_with(never_signed_in, move |never_signed_in| {
            if *never_signed_in {
                auth.sign_in_here();
            }
        });
    }
    match auth.state() {
        AuthState::SignedIn(_) => props.children.clone(),
        AuthState::Failed(error) => auth_error_view(&auth, error),
        AuthState::Loading | AuthState::SignedOut(SignedOutReason::NoSession) => {
            loading("Signing you in…")
        }
        AuthState::SignedOut(reason) => html! {
            <>
                { signed_out_notice(*reason) }
                <section class="card">
                    <p>{ "This page needs you to be signed in." }</p>
                    { sign_in_button(&auth, "Sign in and come back here") }
                </section>
            </>
        },
    }
}
