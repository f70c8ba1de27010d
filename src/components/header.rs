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
    let title = auth.config().map(|config| config.title.clone());
    use_effect_with(title.clone(), |title| {
        if let (Some(title), Some(document)) = (title, web_sys::window().and_then(|w| w.document()))
        {
            document.set_title(title);
        }
    });
    html! {
        <header>
            <strong class="brand" data-testid="app-title">{ title.unwrap_or_default() }</strong>
            <nav>
                <Link<Route> to={Route::Home}>{ "Home" }</Link<Route>>
                <Link<Route> to={Route::Profile}>{ "Profile" }</Link<Route>>
                <Link<Route> to={Route::Api}>{ "API" }</Link<Route>>
            </nav>
            { who }
        </header>
    }
}
