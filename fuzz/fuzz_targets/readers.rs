//! The readers written by hand since the size work (issue 24, 10): the token endpoint's answer to a code exchange
//! and to a refresh (RFC 6749 5.1, 5.2), the UserInfo response (OIDC Core 5.3.2), the records the app reads back
//! from sessionStorage (the session, a pending sign-in), the messages other tabs post, the push endpoint's answer
//! (RFC 9126 2.2, 2.3) and a resource server's step-up challenge (RFC 9470 3). Each input goes to every reader, as
//! a body with a success and with error statuses. Besides "never panics", it asserts what the readers
//! promise: a token response is taken only from a 200 and names a non-empty access token of the expected type;
//! every failed refresh has the verdict its status gives it; UserInfo is about the expected subject; a stored record
//! or a tab message that reads writes back the same; a pushed request names a non-empty `request_uri` and a
//! positive lifetime, from a 200 or 201 only; a step-up's `max_age` is a count of seconds that was in the text.

#![no_main]

mod common;

use std::future::{Future, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use oauth2::http::{Response, header};
use oauth2::{HttpRequest, HttpResponse};
use url::Url;
use oidc_spa_core::fault::{Verdict, classify};
use oidc_spa_core::par::parse_response;
use oidc_spa_core::resource::step_up;
use oidc_spa_core::tab_message::TabMessage;
use oidc_spa_core::token::TokenType;
use oidc_spa_core::{
    AccessToken, AuthorizationCode, PendingSignIn, PkceVerifier, RefreshToken, Session,
    exchange_code, fetch_userinfo, refresh_tokens,
};

/// The fake client never fails to answer; its error type only has to exist.
#[derive(Debug)]
struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for Never {}

/// Polls a future that the fake client makes ready at once.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the fake client answers at once"),
    }
}

/// An answer with `status`, a JSON Content-Type and `body`.
fn answer(status: u16, body: &[u8]) -> HttpResponse {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_vec())
        .expect("a fixed status and header")
}

fuzz_target!(|data: &[u8]| {
    for status in [200, 400, 401, 429, 503] {
        token_endpoint(status, data);
    }
    userinfo(data);
    stored(data);
    pushed(data);
    challenge(data);
});

fn pushed(data: &[u8]) {
    for status in [200, 201, 400, 503] {
        if let Ok(pushed) = parse_response(&answer(status, data)) {
            assert!(matches!(status, 200 | 201), "a pushed request from an error status");
            assert!(!pushed.request_uri.is_empty());
            assert!(pushed.expires_in > 0);
        }
    }
}

/// A `WWW-Authenticate` value is any text a server sends.
fn challenge(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(wanted) = step_up(header)
        && let Some(max_age) = wanted.max_age
    {
        assert!(header.contains(&max_age.to_string()), "a max_age not in the challenge");
    }
}

fn token_endpoint(status: u16, data: &[u8]) {
    let (config, metadata) = (common::config(), common::metadata(false));
    let client = |_: HttpRequest| ready(Ok::<_, Never>(answer(status, data)));
    match now(refresh_tokens(
        &client,
        &config,
        &metadata,
        &RefreshToken::new("rt".into()),
        TokenType::Bearer,
    )) {
        Ok(tokens) => {
            assert_eq!(status, 200, "a token response from an error status");
            assert!(!tokens.access_token.secret().is_empty());
            assert!(tokens.token_type.eq_ignore_ascii_case("Bearer"));
        }
        Err(error) => {
            let verdict = classify(error.answer());
            // Any 5xx or 429 is weather, whatever its body says; a 200 that is not a token response never ends a
            // grant or names the configuration.
            match status {
                503 | 429 => assert_eq!(verdict, Verdict::Transient, "{error:?}"),
                200 => assert!(
                    matches!(verdict, Verdict::Transient | Verdict::Refused),
                    "{error:?}"
                ),
                _ => {}
            }
        }
    }
    let exchanged = now(exchange_code(
        &client,
        &config,
        &metadata,
        AuthorizationCode::new("code".into()),
        &PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
        TokenType::Bearer,
    ));
    if let Ok(tokens) = exchanged {
        assert_eq!(status, 200, "a token response from an error status");
        assert!(!tokens.access_token.secret().is_empty());
        assert!(!tokens.id_token.secret().is_empty());
    }
}

fn userinfo(data: &[u8]) {
    let endpoint = Url::parse("https://id.example/userinfo").expect("fixed URL");
    let client = |_: HttpRequest| ready(Ok::<_, Never>(answer(200, data)));
    let token = AccessToken::new("at".into());
    if let Ok(info) = now(fetch_userinfo(
        &client,
        &endpoint,
        &token,
        TokenType::Bearer,
        "alice",
    )) {
        // OIDC Core 5.3.2: a UserInfo response about another subject is never used.
        assert_eq!(info.sub, "alice");
    }
}

/// Writes `record` as the app stores it, reads it back and writes it again: the two writes are the same. (Not the
/// values: serde_json may move an unknown claim's float by one ULP on its first read, never after.)
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(record: &T) {
    let written = serde_json::to_string(record).expect("a record serializes");
    let read: T = serde_json::from_str(&written).expect("what the app wrote reads back");
    let again = serde_json::to_string(&read).expect("a record serializes");
    assert_eq!(written, again, "a stored record changed on a round trip");
}

fn stored(data: &[u8]) {
    if let Ok(session) = serde_json::from_slice::<Session>(data) {
        round_trip(&session);
    }
    if let Ok(pending) = serde_json::from_slice::<PendingSignIn>(data) {
        round_trip(&pending);
    }
    tab_message(data);
}

/// A message from another tab (any script of the origin can post one): what reads is what a tab would have posted,
/// and reads back the same once posted.
fn tab_message(data: &[u8]) {
    if let Some(message) = TabMessage::read(data) {
        let posted = serde_json::to_string(&message).expect("a message serializes");
        assert_eq!(TabMessage::read(posted.as_bytes()), Some(message));
    }
}
