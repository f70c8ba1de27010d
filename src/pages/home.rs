//! The home page: the auth state and the buttons that change it.

use yew::prelude::*;

use crate::auth::{AuthHandle, AuthState};
use crate::components::{
    auth_error::auth_error_view,
    loading::loading,
    session_status::SessionStatus,
    sign_in_button::{sign_in_button, sign_in_popup_button},
    signed_out_notice::signed_out_notice,
};

/// A plain function given the page frame's auth handle, not a component: it keeps no state of its own.
pub fn home(auth: &AuthHandle) -> Html {
    match auth.state() {
        AuthState::Failed(error) => auth_error_view(auth, error),
        AuthState::SignedOut(reason) => {
            html! {
                <>
                    { signed_out_notice(*reason) }
                    <section class="card">
                        <h1>{ "You are signed out" }</h1>
                        <div class="actions">
                            { sign_in_button(auth, "Sign in") }
                            { sign_in_popup_button(auth, "Sign in in a new window") }
                        </div>
                    </section>
                </>
            }
        }
        AuthState::SignedIn(session) => {
            let local = {
                let auth = auth.clone();
                Callback::from(move |_| auth.sign_out())
            };
            let provider = {
                let auth = auth.clone();
                Callback::from(move |_| auth.sign_out_at_provider())
            };
            html! {
                <>
                <section class="card">
                    <h1>{ "Signed in as " }<span data-testid="user-name">{ &session.display_name }</span></h1>
                    <p>
                        <strong>{ "Sign out here" }</strong>
                        { " forgets the session in this tab; the provider still remembers you, so the \
                           next sign-in is instant. " }
                        <strong>{ "Sign out everywhere" }</strong>
                        { " also ends your session at the provider, which will ask for your password \
                           next time." }
                    </p>
                    <div class="actions">
                        <button data-testid="sign-out-local" onclick={local}>{ "Sign out here" }</button>
                        <button data-testid="sign-out-provider" onclick={provider}>
                            { "Sign out everywhere" }
                        </button>
                    </div>
                </section>
                <SessionStatus session={session.clone()} />
                </>
            }
        }
        // Loading, and whatever state a later release of the library adds.
        _ => loading("Loading…"),
    }
}
