//! The address bar: reading it, cleaning it with `history.replaceState`, and leaving for the provider.

use url::Url;

/// The page's full URL, if the browser gives a parsable one.
pub fn current() -> Option<Url> {
    let href = web_sys::window()?.location().href().ok()?;
    Url::parse(&href).ok()
}

/// The app's base URL (`<base href>`, or the page URL without one): where `config.json` lives and what
/// `redirect_uri` and `post_logout_redirect_uri` default to.
pub fn base() -> Option<Url> {
    let base = web_sys::window()?.document()?.base_uri().ok()??;
    Url::parse(&base).ok()
}

/// The configuration that `scripts/inline-config.mjs` put into the page (`<script type="application/json"
/// id="config">`), if it did.
pub fn inlined_config() -> Option<String> {
    let block = web_sys::window()?.document()?.get_element_by_id("config")?;
    (block.get_attribute("type")?.as_str() == "application/json").then(|| block.text_content())?
}

/// `url` without the query parameters in `names`; everything else (path, other parameters, fragment)
/// is kept in order.
pub fn without_params(url: &Url, names: &[&str]) -> Url {
    crate::oidc::authorize::without_params(url, |name| names.contains(&name))
}

/// Rewrites the address bar without a navigation or a history entry. Returns whether it worked.
pub fn replace(url: &Url) -> bool {
    web_sys::window()
        .and_then(|window| window.history().ok())
        .is_some_and(|history| {
            history
                .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url.as_str()))
                .is_ok()
        })
}

/// Removes `names` from the address bar, e.g. `code` and `state` before the code is redeemed
/// (RFC 9700 4.2.4), so they never reach history, bookmarks or a Referer.
pub fn strip_params(names: &[&str]) -> bool {
    current().is_some_and(|url| replace(&without_params(&url, names)))
}

/// Leaves the app for `url` (the provider's authorization or end-session endpoint).
pub fn navigate(url: &Url) -> bool {
    web_sys::window().is_some_and(|window| window.location().assign(url.as_str()).is_ok())
}

/// Leaves the app by submitting a form POST to `action` with `fields` as hidden inputs (the provider's
/// end-session endpoint, when the ID token must stay out of URLs). Returns whether the form was submitted.
pub fn post_form(action: &Url, fields: &[(String, String)]) -> bool {
    use wasm_bindgen::JsCast;
    let build = || -> Option<()> {
        let document = web_sys::window()?.document()?;
        let form: web_sys::HtmlFormElement =
            document.create_element("form").ok()?.dyn_into().ok()?;
        form.set_method("post");
        form.set_action(action.as_str());
        form.set_hidden(true);
        for (name, value) in fields {
            let input = document.create_element("input").ok()?;
            input.set_attribute("type", "hidden").ok()?;
            input.set_attribute("name", name).ok()?;
            input.set_attribute("value", value).ok()?;
            form.append_child(&input).ok()?;
        }
        document.body()?.append_child(&form).ok()?;
        form.submit().ok()
    };
    build().is_some()
}

/// Moves to `path` (app-relative: `/` is the app's home, under its base path) without a reload or a new history
/// entry; the router follows.
pub fn replace_path(path: &str) {
    use gloo_history::{BrowserHistory, History};
    let at = base().map_or_else(|| path.to_owned(), |base| under(&base, path));
    BrowserHistory::new().replace(at);
}

/// The current path, query and fragment relative to the app's base path: where to come back to after a sign-in.
pub fn here() -> String {
    match (current(), base()) {
        (Some(url), Some(base)) => within(&base, &url),
        _ => "/".to_owned(),
    }
}

/// The base URL's path without its trailing `/`: empty for an app at the root of its origin.
fn base_path(base: &Url) -> &str {
    base.path().trim_end_matches('/')
}

/// The app-relative path, query and fragment of `url` (`/profile?tab=2` for `https://host/app/profile?tab=2` with
/// base `https://host/app/`), or `/` when `url` is outside the app (another origin, or not under the base path).
/// The prefix is matched whole segments at a time: `/app` is not under `/ap`.
pub fn within(base: &Url, url: &Url) -> String {
    if url.origin() != base.origin() {
        return "/".to_owned();
    }
    let full = &url[url::Position::BeforePath..];
    let rest = full.strip_prefix(base_path(base)).unwrap_or("/");
    match rest.chars().next() {
        Some('/') => rest.to_owned(),
        None => "/".to_owned(),
        Some('?' | '#') => format!("/{rest}"),
        Some(_) => "/".to_owned(),
    }
}

/// The origin-relative path of the app-relative `path` under `base`: `/app/profile` for `/profile` with base
/// `https://host/app/`.
pub fn under(base: &Url, path: &str) -> String {
    format!("{}{path}", base_path(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a test URL")
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn paths_inside_an_app_at_the_root_are_unchanged() {
        let base = url("https://host.example/");
        for path in ["/", "/profile", "/profile?tab=2#top", "/a/b/"] {
            let full = url(&format!("https://host.example{path}"));
            assert_eq!(within(&base, &full), path);
            assert_eq!(under(&base, path), path);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn paths_under_a_base_path_are_app_relative() {
        let base = url("https://host.example/some/app/");
        let cases = [
            ("https://host.example/some/app/", "/"),
            ("https://host.example/some/app", "/"),
            ("https://host.example/some/app?x=1", "/?x=1"),
            (
                "https://host.example/some/app/profile?tab=2#top",
                "/profile?tab=2#top",
            ),
            ("https://host.example/some/app/callback/", "/callback/"),
        ];
        for (full, path) in cases {
            assert_eq!(within(&base, &url(full)), path, "{full}");
        }
        assert_eq!(under(&base, "/"), "/some/app/");
        assert_eq!(
            under(&base, "/profile?tab=2#top"),
            "/some/app/profile?tab=2#top"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn urls_outside_the_app_come_back_home() {
        let base = url("https://host.example/some/app/");
        for outside in [
            "https://host.example/",
            "https://host.example/some/apple/profile",
            "https://host.example/other/app/profile",
            "https://elsewhere.example/some/app/profile",
            "http://host.example/some/app/profile",
        ] {
            assert_eq!(within(&base, &url(outside)), "/", "{outside}");
        }
    }
}
