//! The application shell: routes, the router, the auth provider and the page frame.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthProvider, use_auth, use_providers};
use crate::components::header::use_header;
use crate::pages::{
    api::Api, callback, home::home, not_found::not_found, profile::profile, providers::providers,
};
pub use crate::route::Route;

/// The frame of every page: the header and the route's page, which get the auth handle read once here. One
/// component for every route, which it reads itself (as yew-router's `Switch` component did): the pages that keep
/// no state are plain functions, because every component type costs about 1 KB gzip of Yew's lifecycle code in the
/// first load.
#[function_component(Frame)]
fn frame() -> Html {
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let auth = use_auth();
    let more = use_providers();
    let navigator = use_navigator();
    let header = use_header(&auth, navigator.as_ref());
    {
        // Every provider done with the response (the one whose sign-in it completes moves to its return path).
        let leave = route == Route::Callback && callback::finished(&auth, &more);
        let navigator = navigator.clone();
        use_effect(move || {
            if let (true, Some(navigator)) = (leave, navigator) {
                navigator.push(&Route::Home);
            }
        });
    }
    let page = match route {
        Route::Home => home(&auth),
        Route::Callback => callback::callback(&auth, &more),
        Route::Profile => profile(&auth),
        Route::Api => html! { <Api /> },
        Route::Providers => providers(&auth, &more),
        Route::NotFound => not_found(navigator.as_ref()),
    };
    html! {
        <>
            { header }
            <main>{ page }</main>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct MoreProps {
    children: Html,
}

/// The providers of config.json's `providers`, each an `AuthProvider` of its own around the page frame, once the
/// main one's configuration is known. Mounted for every route: the response to any of them comes back to
/// `/callback`, where the one that started the sign-in completes it.
#[function_component(More)]
fn more(props: &MoreProps) -> Html {
    let auth = use_auth();
    let mut inner = props.children.clone();
    for config in auth
        .config()
        .map(|config| config.providers.iter())
        .into_iter()
        .flatten()
        .rev()
    {
        inner = html! { <AuthProvider config={config.clone()}>{ inner }</AuthProvider> };
    }
    inner
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <AuthProvider>
                <More><Frame /></More>
            </AuthProvider>
        </BrowserRouter>
    }
}
