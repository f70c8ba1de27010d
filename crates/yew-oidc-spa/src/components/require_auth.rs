//! A guard for routes that need a signed-in user: its children render only with a session; a visitor who never
//! signed in in this tab is sent to the provider and comes back to the same page; after a sign-out or an expiry
//! the reason is shown with a button, so nobody is bounced to the provider without asking.

use std::rc::Rc;

use yew::prelude::*;

use crate::auth::{AuthError, AuthState, SignedOutReason, use_auth};
use crate::components::{
    auth_error::auth_error_view, loading::loading, sign_in_button::sign_in_button,
    signed_out_notice::signed_out_notice,
};

#[derive(Properties, PartialEq)]
pub struct RequireAuthProps {
    /// What a signed-in user sees.
    #[prop_or_default]
    pub children: Html,
    /// Shown while the session is being read or a first visit leaves for the provider; default: "Signing you in…".
    #[prop_or_default]
    pub loading: Option<Html>,
    /// Shown after a sign-out or an expiry, given the reason; default: the reason in English and a button that
    /// signs in and comes back here. Nobody is sent to the provider without asking, whatever this shows.
    #[prop_or_default]
    pub signed_out: Option<Callback<SignedOutReason, Html>>,
    /// Shown when the sign-in failed or the configuration is wrong; default: the error in English and a button to
    /// sign in again ([`auth_error_view`]).
    #[prop_or_default]
    pub error: Option<Callback<Rc<AuthError>, Html>>,
}

/// Renders its children only for a signed-in user; the other states show the given views or the defaults.
///
/// ```no_run
/// use yew::prelude::*;
/// use yew_oidc_spa::{RequireAuth, SignedOutReason};
///
/// #[function_component(Orders)]
/// fn orders() -> Html {
///     html! { <p>{ "Your orders" }</p> }
/// }
///
/// #[function_component(OrdersPage)]
/// fn orders_page() -> Html {
///     let signed_out = Callback::from(|_reason: SignedOutReason| html! { <p>{ "Bitte anmelden." }</p> });
///     html! {
///         <RequireAuth loading={html! { <p>{ "…" }</p> }} {signed_out}>
///             <Orders />
///         </RequireAuth>
///     }
/// }
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
        AuthState::Failed(error) => match &props.error {
            Some(view) => view.emit(error.clone()),
            None => auth_error_view(&auth, error),
        },
        AuthState::SignedOut(reason) if *reason != SignedOutReason::NoSession => {
            match &props.signed_out {
                Some(view) => view.emit(*reason),
                None => html! {
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
        _ => props
            .loading
            .clone()
            .unwrap_or_else(|| loading("Signing you in…")),
    }
}
