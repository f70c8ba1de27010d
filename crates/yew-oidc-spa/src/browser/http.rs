//! The one door to the network: an `oauth2::AsyncHttpClient` over the Fetch API (gloo-net), the request start the
//! API helper shares with it, and a plain `fetch` for public JSON documents (config.json, discovery, keys).
//!
//! Redirects are refused, cookies never go to the provider, and no body is ever put into an error message (it may
//! hold tokens). Nothing that carries or returns a secret is cached: only public provider documents (discovery, keys)
//! go through the HTTP cache, with whatever caching the provider allows.

use gloo_net::http::{Method, RequestBuilder};
use oauth2::{HttpRequest, HttpResponse, http};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, RequestCache, RequestCredentials, RequestInit, RequestRedirect, Response,
};

/// RFC 9449 8: the response header a server hands out a DPoP nonce in. A constant, so that no header name is ever
/// parsed at run time (that pulls in the `http` crate's table of standard names).
pub const DPOP_NONCE: http::HeaderName = http::HeaderName::from_static("dpop-nonce");

/// RFC 9449 4.1: the request header a DPoP proof goes in.
pub const DPOP: http::HeaderName = http::HeaderName::from_static("dpop");

/// Every request header the app sends (the oauth2 crate's and ours), with the name fetch gets. Looked up by
/// comparison, not `HeaderName::as_str`, which would bring the `http` crate's table of about 80 standard names into
/// the binary (about 1 KB gzip).
const REQUEST_HEADERS: [(http::HeaderName, &str); 4] = [
    (http::header::ACCEPT, "accept"),
    (http::header::AUTHORIZATION, "authorization"),
    (http::header::CONTENT_TYPE, "content-type"),
    (DPOP, "dpop"),
];

/// The name `fetch` gets for `name`, one of [`REQUEST_HEADERS`].
fn wire_name(name: &http::HeaderName) -> Result<&'static str, HttpError> {
    REQUEST_HEADERS
        .iter()
        .find(|(known, _)| known == name)
        .map(|(_, text)| *text)
        .ok_or_else(|| HttpError::Build("a request header the app does not send".to_owned()))
}

/// How long any request may take, in milliseconds.
const TIMEOUT_MILLIS: u32 = 30_000;

/// The start of every request the app sends: redirects refused (a token must not follow one elsewhere), a timeout
/// (a hung request must not hold the refresh lock, and so every tab's renewal, or a sign-out forever), and `cache`.
pub fn builder(url: &str, method: Method, cache: RequestCache) -> RequestBuilder {
    let timeout = AbortSignal::timeout_with_u32(TIMEOUT_MILLIS);
    RequestBuilder::new(url)
        .method(method)
        .redirect(RequestRedirect::Error)
        .cache(cache)
        .abort_signal(Some(&timeout))
}

/// Why a request produced no HTTP response at all.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("the request could not be built: {0}")]
    Build(String),
    #[error(
        "the server could not be reached ({0}); check the network and the provider's CORS settings"
    )]
    Network(String),
}

/// Sends `request` with `fetch`, bypassing the HTTP cache (nothing that carries or returns a token is cached),
/// without cookies. Pass `&fetch` wherever the oauth2 crate wants an HTTP client. Public documents (config.json,
/// discovery, keys), which the HTTP cache may serve, are read by [`get_document`].
pub async fn fetch(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let method = match *request.method() {
        http::Method::GET => Method::GET,
        http::Method::POST => Method::POST,
        ref other => return Err(HttpError::Build(format!("unsupported method {other}"))),
    };
    let mut builder = builder(&request.uri().to_string(), method, RequestCache::NoStore)
        .credentials(RequestCredentials::Omit);
    for (name, value) in request.headers() {
        let name = wire_name(name)?;
        let value = value
            .to_str()
            .map_err(|_| HttpError::Build(format!("header {name} is not text")))?;
        builder = builder.header(name, value);
    }
    let sent = if request.body().is_empty() {
        builder.send().await
    } else {
        let body = js_sys::Uint8Array::from(request.body().as_slice());
        builder
            .body(body)
            .map_err(|e| HttpError::Build(e.to_string()))?
            .send()
            .await
    };
    let response = sent.map_err(|e| HttpError::Network(e.to_string()))?;

    let mut out = http::Response::builder().status(response.status());
    // Only these are read downstream: `Content-Type` (the token response's check), DPoP's nonce and challenge
    // (RFC 9449 8, 9), and `Retry-After` (RFC 9110 10.2.3, a failed renewal's wait; cross-origin, the provider must
    // expose it). Copying them under fixed names, not every header by name, keeps `HeaderName::from_bytes` and its
    // table out of the binary.
    let headers = response.headers();
    for (name, text) in [
        (http::header::CONTENT_TYPE, "content-type"),
        (http::header::WWW_AUTHENTICATE, "www-authenticate"),
        (DPOP_NONCE, "dpop-nonce"),
        (http::header::RETRY_AFTER, "retry-after"),
    ] {
        if let Some(value) = headers.get(text) {
            out = out.header(name, value);
        }
    }
    let body = response
        .binary()
        .await
        .map_err(|e| HttpError::Network(e.to_string()))?;
    // Fixed texts rather than the `http` crate's error messages, whose formatting code would all come along.
    out.body(body)
        .map_err(|_| HttpError::Build("a response header value is not valid".to_owned()))
}

/// GETs a public JSON document (the app's `config.json`, the provider's discovery document and keys) with the
/// Fetch API as it is, and returns the status and the body as text (UTF-8, invalid bytes replaced): redirects
/// refused, the timeout, HTTP cache mode `cache`, `Accept: application/json`, and `credentials` (`Omit` for
/// anything of the provider's; the app's own `config.json` goes `SameOrigin`, the mode of index.html's preload of
/// it, because a request in another credentials mode does not get the preloaded response and downloads the file a
/// second time; `SameOrigin` sends no cookie to any other origin, as a `<base>` on another host makes config.json
/// cross-origin). Without an `http::Request`, gloo-net's builder or a byte copy: the configuration is read before
/// the first signed-out or signed-in view of every page load, and each function called then for the first time is
/// compiled then (wasm lazy compilation, about 0.25 ms per KB of code on a phone-class CPU).
pub async fn get_document(
    url: &str,
    cache: RequestCache,
    credentials: RequestCredentials,
) -> Result<(u16, String), HttpError> {
    let network = |error: JsValue| HttpError::Network(js_error_text(&error));
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_redirect(RequestRedirect::Error);
    init.set_cache(cache);
    init.set_credentials(credentials);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(TIMEOUT_MILLIS)));
    let headers = web_sys::Headers::new().map_err(network)?;
    headers
        .append("accept", "application/json")
        .map_err(network)?;
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(|| HttpError::Build("no window".to_owned()))?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(network)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// The message of a JavaScript error (`TypeError: Failed to fetch`, an abort), never a body.
fn js_error_text(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| format!("{}: {}", error.name(), error.message()))
        .unwrap_or_else(|| "unknown error".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_headers_keep_their_names() {
        for (name, text) in &REQUEST_HEADERS {
            assert_eq!(wire_name(name).ok(), Some(name.as_str()));
            assert_eq!(name.as_str(), *text);
        }
    }

    #[test]
    fn a_header_the_app_does_not_send_is_refused() {
        // Refused before anything is sent: without the name table there is no name to send it under.
        for name in [
            http::header::COOKIE,
            http::HeaderName::from_static("x-custom"),
        ] {
            assert!(matches!(wire_name(&name), Err(HttpError::Build(_))));
        }
    }
}
