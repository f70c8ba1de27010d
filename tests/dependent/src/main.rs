//! Signs in with the library's public names only.

use yew::prelude::*;
use yew_oidc_spa::{AuthProvider, AuthState, use_auth};

#[function_component(Greeting)]
fn greeting() -> Html {
    let auth = use_auth();
    match auth.state() {
        AuthState::SignedIn(session) => html! { <p>{ &session.display_name }</p> },
        _ => html! { <button onclick={move |_| auth.sign_in("/")}>{ "Sign in" }</button> },
    }
}

fn main() {
    yew::Renderer::<AuthProviderApp>::new().render();
}

#[function_component(AuthProviderApp)]
fn app() -> Html {
    html! { <AuthProvider><Greeting /></AuthProvider> }
}
