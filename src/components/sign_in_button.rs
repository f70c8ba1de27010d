//! The `sign-in` button of the UI contract: starts a sign-in that comes back to the current page.

use yew::prelude::*;

use crate::auth::use_auth;

#[derive(Properties, PartialEq)]
pub struct SignInButtonProps {
    pub label: AttrValue,
}

#[function_component(SignInButton)]
pub fn sign_in_button(props: &SignInButtonProps) -> Html {
    let auth = use_auth();
    let sign_in = Callback::from(move |_| auth.sign_in_here());
    html! {
        <button class="primary" data-testid="sign-in" onclick={sign_in}>{ &props.label }</button>
    }
}
