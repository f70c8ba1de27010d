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

/// `url` without the query parameters in `names`; everything else (path, other parameters, fragment)
/// is kept in order.
pub fn without_params(url: &Url, names: &[&str]) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !names.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut clean = url.clone();
    if kept.is_empty() {
        clean.set_query(None);
    } else {
        clean.query_pairs_mut().clear().extend_pairs(kept);
    }
    clean
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

/// Moves to `path` inside the app without a reload or a new history entry; the router follows.
pub fn replace_path(path: &str) {
    use yew_router::history::{BrowserHistory, History};
    BrowserHistory::new().replace(path);
}

/// The current path, query and fragment: where to come back to after a sign-in.
pub fn here() -> String {
    current().map_or_else(
        || "/".to_owned(),
        |url| url[url::Position::BeforePath..].to_owned(),
    )
}
