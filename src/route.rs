//! The demo's routes, on their own so that the views linking to them do not depend on the app shell.

use std::collections::HashMap;

use yew_router::Routable;

/// The app's routes. `Routable` is written out rather than derived: the derive matches paths with
/// `route-recognizer`'s NFA (about 10 KB of wasm), which four fixed paths do not need. Same rules as the
/// derive: one trailing `/` is ignored, matching is exact and case-sensitive, anything else is `NotFound`.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// `/`
    Home,
    /// `/callback`, the redirect URI: the auth provider completes the sign-in here; and `/callback/<name>`, the
    /// redirect URI of one of config.json's `providers` that needs one of its own (a provider without `iss`).
    Callback,
    /// `/profile`
    Profile,
    /// `/api`: calls the demo API with the access token.
    Api,
    /// `/providers`: one panel per provider of config.json (the main one and its `providers`), each its own session.
    Providers,
    /// `/404`, and every path not listed above.
    NotFound,
}

impl Route {
    const ALL: [(Route, &'static str); 6] = [
        (Route::Home, "/"),
        (Route::Callback, "/callback"),
        (Route::Profile, "/profile"),
        (Route::Api, "/api"),
        (Route::Providers, "/providers"),
        (Route::NotFound, "/404"),
    ];

    /// The path under the app's base path.
    pub fn path(&self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Callback => "/callback",
            Route::Profile => "/profile",
            Route::Api => "/api",
            Route::Providers => "/providers",
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
        if path
            .strip_prefix("/callback/")
            .is_some_and(|name| !name.is_empty() && !name.contains('/'))
        {
            return Some(Route::Callback);
        }
        Self::from_path(path, &HashMap::new()).or_else(Self::not_found_route)
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
            ("/providers", Route::Providers),
            ("/callback/second", Route::Callback),
            ("/callback/second/", Route::Callback),
            ("/callback/a/b", Route::NotFound),
            ("/providers/", Route::Providers),
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
            vec!["/", "/callback", "/profile", "/api", "/providers", "/404"]
        );
    }
}
