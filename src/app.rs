//! The application shell: routes, the router, the auth provider and the page frame.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthProvider, use_auth};
use crate::components::header::use_header;
use crate::pages::{api::Api, callback, home::home, not_found::not_found, profile::profile};
pub use crate::route::Route;

/// The frame of every page: the header and the route's page, which get the auth handle read once here. One
/// component for every route, which it reads itself (as yew-router's `Switch` component did): the pages that keep
/// no state are plain functions, because every component type costs about 1 KB gzip of Yew's lifecycle code in the
/// first load.
#[function_component(Frame)]
fn frame() -> Html {
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let auth = use_auth();
    let navigator = use_navigator();
    let header = use_header(&auth, navigator.as_ref());
    {
        let leave = route == Route::Callback && callback::finished(&auth);
        let navigator = navigator.clone();
        use_effect(move || {
            if let (true, Some(navigator)) = (leave, navigator) {
                navigator.push(&Route::Home);
            }
        });
    }
    let page = match route {
        Route::Home => home(&auth),
        Route::Callback => callback::callback(&auth),
        Route::Profile => profile(&auth),
        Route::Api => html! { <Api /> },
        Route::NotFound => not_found(navigator.as_ref()),
    };
    html! {
        <>
            { header }
            <main>{ page }</main>
        </>
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <AuthProvider>
                <Frame />
            </AuthProvider>
        </BrowserRouter>
    }
}
