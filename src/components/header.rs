//! The top bar: navigation and who is signed in.

use yew::prelude::*;
use yew_router::prelude::*;

use super::link::link;
use super::renewal_status::renewal_status;
use crate::auth::{AuthHandle, AuthState};
use crate::route::Route;

/// A hook rather than a component (it keeps the document's title), called by the page frame with its auth handle:
/// every component type costs about 1 KB gzip of Yew's lifecycle code in the first load.
#[hook]
pub fn use_header(auth: &AuthHandle, navigator: Option<&Navigator>) -> Html {
    let who = match auth.state() {
        AuthState::SignedIn(session) => html! { <span>{ &session.display_name }</span> },
        _ => html! {},
    };
    let title = auth.config().map(crate::settings::title);
    use_effect_with(title.clone(), |title| {
        if let (Some(title), Some(document)) = (title, web_sys::window().and_then(|w| w.document()))
        {
            document.set_title(title);
        }
    });
    html! {
        <>
        <header>
            <strong class="brand" data-testid="app-title">{ title.unwrap_or_default() }</strong>
            <nav>
                { link(navigator, Route::Home, "Home") }
                { link(navigator, Route::Profile, "Profile") }
                { link(navigator, Route::Api, "API") }
                if auth.config().is_some_and(|config| !config.providers.is_empty()) {
                    { link(navigator, Route::Providers, "Providers") }
                }
            </nav>
            { who }
        </header>
        { renewal_status(auth) }
        </>
    }
}
