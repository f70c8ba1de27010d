//! The `sign-in` button of the UI contract, which starts a sign-in that comes back to the current page, and
//! `sign-in-popup`, which signs in in a window of its own and leaves the page as it is.

use yew::prelude::*;

use crate::auth::AuthHandle;

/// A plain function, not a component: it keeps no state of its own, and every component type costs about 1 KB gzip
/// of Yew's lifecycle code in the first load.
pub fn sign_in_button(auth: &AuthHandle, label: &'static str) -> Html {
    let auth = auth.clone();
    let sign_in = Callback::from(move |_| auth.sign_in_here());
    html! {
        <button class="primary" data-testid="sign-in" onclick={sign_in}>{ label }</button>
    }
}

/// The `sign-in-popup` button: a sign-in in a window of its own ([`AuthHandle::sign_in_popup`]).
pub fn sign_in_popup_button(auth: &AuthHandle, label: &'static str) -> Html {
    let auth = auth.clone();
    let sign_in = Callback::from(move |_| auth.sign_in_popup());
    html! {
        <button data-testid="sign-in-popup" onclick={sign_in}>{ label }</button>
    }
}
