//! The application shell: routes, the router, the auth provider and the page frame.

use std::collections::HashMap;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthProvider, use_auth};
use crate::components::header::use_header;
use crate::pages::{api::Api, callback, home::home, not_found::not_found, profile::profile};

/// The app's routes. `Routable` is written out rather than derived: the derive matches paths with
/// `route-recognizer`'s NFA (about 10 KB of wasm), which four fixed paths do not need. Same rules as the
/// derive: one trailing `/` is ignored, matching is exact and case-sensitive, anything else is `NotFound`.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// `/`
    Home,
    /// `/callback`, the redirect URI: the auth provider completes the sign-in here.
    Callback,
    /// `/profile`
    Profile,
    /// `/api`: calls the demo API with the access token.
    Api,
    /// `/404`, and every path not listed above.
    NotFound,
}

impl Route {
    const ALL: [(Route, &'static str); 5] = [
        (Route::Home, "/"),
        (Route::Callback, "/callback"),
        (Route::Profile, "/profile"),
        (Route::Api, "/api"),
        (Route::NotFound, "/404"),
    ];

    /// The path under the app's base path.
    pub fn path(&self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Callback => "/callback",
            Route::Profile => "/profile",
            Route::Api => "/api",
            Route::NotFound => "/404",
        }
    }
}

impl Routable for Route {
    fn from_path(path: &str, _params: &HashMap<&str, &str>) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find_map(|(route, at)| (at == path).then_some(route))
    }

    fn to_path(&self) -> String {
        self.path().to_owned()
    }

    fn routes() -> Vec<&'static str> {
        Self::ALL.iter().map(|(_, at)| *at).collect()
    }

    fn not_found_route() -> Option<Self> {
        Some(Route::NotFound)
    }

    fn recognize(pathname: &str) -> Option<Self> {
        let path = pathname.strip_suffix('/').unwrap_or(pathname);
        let path = if path.is_empty() { "/" } else { path };
        Self::from_path(path, &HashMap::new()).or_else(Self::not_found_route)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn routes_match_like_the_derive() {
        let cases = [
            ("/", Route::Home),
            ("", Route::Home),
            ("//", Route::Home),
            ("/callback", Route::Callback),
            ("/callback/", Route::Callback),
            ("/profile", Route::Profile),
            ("/profile/", Route::Profile),
            ("/404", Route::NotFound),
            ("/Profile", Route::NotFound),
            ("/profile//", Route::NotFound),
            ("/profile/x", Route::NotFound),
            ("/api", Route::Api),
            ("/api/", Route::Api),
            ("/nowhere", Route::NotFound),
        ];
        for (path, route) in cases {
            assert_eq!(Route::recognize(path), Some(route), "{path}");
        }
        for (route, at) in Route::ALL {
            assert_eq!(route.to_path(), at);
            assert_eq!(Route::recognize(&route.to_path()), Some(route));
        }
        assert_eq!(
            Route::routes(),
            vec!["/", "/callback", "/profile", "/api", "/404"]
        );
    }
}
