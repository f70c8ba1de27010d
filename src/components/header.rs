//! The top bar: navigation and who is signed in.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::auth::{AuthState, use_auth};

#[function_component(Header)]
pub fn header() -> Html {
    let auth = use_auth();
    let who = match auth.state() {
        AuthState::SignedIn(session) => html! { <span>{ &session.display_name }</span> },
        _ => html! {},
    };
    html! {
        <header>
            <nav>
                <Link<Route> to={Route::Home}>{ "Home" }</Link<Route>>
                <Link<Route> to={Route::Profile}>{ "Profile" }</Link<Route>>
            </nav>
            { who }
        </header>
    }
}
