//! The UserInfo request (OIDC Core 5.3) and the subject check on its response (5.3.2). HTTP is the injected
//! `AsyncHttpClient`; this module must not touch the network or any browser API itself, and no error it returns
//! carries the access token or the response body.

use oauth2::http::{self, HeaderValue, Method, header};
use oauth2::{AsyncHttpClient, HttpRequest};
use serde::de::Error as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use url::Url;

use crate::secret::AccessToken;
use crate::sign_in::token::TokenType;
use crate::stored::text;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Error)]
pub enum UserInfoError {
    #[error("the access token cannot be put in an Authorization header")]
    InvalidAccessToken,
    #[error("the userinfo request could not be built")]
    Request(#[source] http::Error),
    #[error("the userinfo request could not be sent")]
    Http(#[source] Box<dyn std::error::Error + 'static>),
    #[error("the userinfo endpoint answered with HTTP status {status}")]
    Status { status: u16 },
    /// Only the parser's message is kept (it names the member, not the body's contents).
    #[error("the userinfo response is not the expected JSON")]
    Malformed(#[source] serde_json::Error),
    #[error("the userinfo response has no sub")]
    MissingSubject,
    #[error("the userinfo response is about another user (sub does not match the ID token)")]
    SubjectMismatch,
}

/// GETs the UserInfo endpoint with the access token and returns the claims, but only when they are about the user
/// of the ID token.
pub async fn fetch_userinfo<C>(
    http: &C,
    endpoint: &Url,
    access_token: &AccessToken,
    scheme: TokenType,
    expected_sub: &str,
) -> Result<UserInfo, UserInfoError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    // RFC 6750 2.1: `Authorization: Bearer <token>`, the method the spec says resource servers MUST support, and
    // the one that keeps the token out of URLs (RFC 9700 4.3.2) and bodies; `DPoP <token>` for a bound token (RFC
    // 9449 7.1), whose proof the HTTP client adds.
    let mut authorization =
        HeaderValue::from_str(&format!("{} {}", scheme.as_str(), access_token.secret()))
            .map_err(|_| UserInfoError::InvalidAccessToken)?;
    authorization.set_sensitive(true);
    let request: HttpRequest = http::Request::builder()
        .method(Method::GET)
        .uri(endpoint.as_str())
        .header(header::AUTHORIZATION, authorization)
        .header(header::ACCEPT, HeaderValue::from_static("application/json"))
        .body(Vec::new())
        .map_err(UserInfoError::Request)?;

    let response = http
        .call(request)
        .await
        .map_err(|error| UserInfoError::Http(Box::new(error)))?;
    // OIDC Core 5.3.2: a successful response is 200 with a JSON object (signed or encrypted responses are not
    // registered by this client, so `application/jwt` would fail to parse below).
    if response.status() != http::StatusCode::OK {
        return Err(UserInfoError::Status {
            status: response.status().as_u16(),
        });
    }
    // Read from the parsed `Value` (the one JSON reader of the first load) rather than by a derive: an object whose
    // claims used here are strings when present (`null` is absent), every other member ignored.
    let body = serde_json::from_slice(response.body()).map_err(UserInfoError::Malformed)?;
    let Value::Object(mut members) = body else {
        let message = "the response is not an object";
        return Err(UserInfoError::Malformed(serde_json::Error::custom(message)));
    };
    let mut claim = |name| {
        text(&mut members, name).map_err(|name| {
            let message = format_args!("the claim `{name}` is not a string");
            UserInfoError::Malformed(serde_json::Error::custom(message))
        })
    };
    let (sub, name, preferred_username, email) = (
        claim("sub")?,
        claim("name")?,
        claim("preferred_username")?,
        claim("email")?,
    );

    // OIDC Core 5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly match the sub Claim in
    // the ID Token; if they do not match, the UserInfo Response values MUST NOT be used." (Token substitution,
    // OIDC Core 16.11.)
    let sub = sub.ok_or(UserInfoError::MissingSubject)?;
    if sub != expected_sub {
        return Err(UserInfoError::SubjectMismatch);
    }
    Ok(UserInfo {
        sub,
        name,
        preferred_username,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeHttpError, respond};
    use futures::executor::block_on;
    use oauth2::HttpResponse;

    const ENDPOINT: &str = "https://id.example/realms/demo/protocol/openid-connect/userinfo";

    fn fetch(status: u16, body: &str) -> Result<UserInfo, UserInfoError> {
        let client = |request: HttpRequest| {
            assert_eq!(request.method(), Method::GET);
            assert_eq!(request.uri().to_string(), ENDPOINT);
            assert_eq!(request.headers()[header::AUTHORIZATION], "Bearer at-secret");
            assert!(request.body().is_empty());
            respond(status, Some("application/json"), body)
        };
        block_on(fetch_userinfo(
            &client,
            &Url::parse(ENDPOINT).unwrap(),
            &AccessToken::new("at-secret".into()),
            TokenType::Bearer,
            "user-1",
        ))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn returns_the_claims_for_the_same_subject() {
        let info = fetch(
            200,
            r#"{"sub":"user-1","name":"Ada Lovelace","preferred_username":"ada","email":"ada@example.com","x":1}"#,
        )
        .unwrap();
        assert_eq!(
            info,
            UserInfo {
                sub: "user-1".into(),
                name: Some("Ada Lovelace".into()),
                preferred_username: Some("ada".into()),
                email: Some("ada@example.com".into()),
            }
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_dpop_bound_token_goes_with_the_dpop_scheme() {
        let client = |request: HttpRequest| {
            assert_eq!(request.headers()[header::AUTHORIZATION], "DPoP at-secret");
            respond(200, Some("application/json"), r#"{"sub":"user-1"}"#)
        };
        let info = block_on(fetch_userinfo(
            &client,
            &Url::parse(ENDPOINT).unwrap(),
            &AccessToken::new("at-secret".into()),
            TokenType::Dpop,
            "user-1",
        ));
        assert_eq!(info.unwrap().sub, "user-1");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_another_subject() {
        let error = fetch(200, r#"{"sub":"user-2","name":"Mallory"}"#).unwrap_err();
        assert!(matches!(error, UserInfoError::SubjectMismatch));
        assert!(matches!(
            fetch(200, r#"{"name":"Nobody"}"#),
            Err(UserInfoError::MissingSubject)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_error_statuses_and_bodies_without_echoing_them() {
        let error = fetch(401, r#"{"error":"invalid_token"}"#).unwrap_err();
        assert!(matches!(error, UserInfoError::Status { status: 401 }));
        let error = fetch(200, "<html>at-secret</html>").unwrap_err();
        assert!(matches!(error, UserInfoError::Malformed(_)));
        assert!(!format!("{error} {:?}", std::error::Error::source(&error)).contains("at-secret"));
        // Each claim used is a string when present; the message names it, not its value.
        for (body, message) in [
            (r#"{"sub":5}"#, "the claim `sub` is not a string"),
            (
                r#"{"sub":"user-1","name":{"at-secret":1}}"#,
                "the claim `name` is not a string",
            ),
            (
                r#"{"sub":"user-1","preferred_username":["a"]}"#,
                "the claim `preferred_username` is not a string",
            ),
            (
                r#"{"sub":"user-1","email":true}"#,
                "the claim `email` is not a string",
            ),
            (r#"["user-1"]"#, "the response is not an object"),
        ] {
            match fetch(200, body) {
                Err(UserInfoError::Malformed(source)) => assert_eq!(source.to_string(), message),
                other => panic!("{body}: {other:?}"),
            }
        }
        // `null` is an absent claim; members not used here may have any type.
        let info = fetch(
            200,
            r#"{"sub":"user-1","name":null,"address":{"x":1},"n":2}"#,
        )
        .unwrap();
        assert_eq!(info.name, None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn transport_errors_and_unusable_tokens_are_typed() {
        let failing = |_request: HttpRequest| async { Err::<HttpResponse, _>(FakeHttpError) };
        let endpoint = Url::parse(ENDPOINT).unwrap();
        let result = block_on(fetch_userinfo(
            &failing,
            &endpoint,
            &AccessToken::new("at".into()),
            TokenType::Bearer,
            "user-1",
        ));
        assert!(matches!(result, Err(UserInfoError::Http(_))));
        let result = block_on(fetch_userinfo(
            &failing,
            &endpoint,
            &AccessToken::new("bad\ntoken".into()),
            TokenType::Bearer,
            "user-1",
        ));
        let error = result.unwrap_err();
        assert!(matches!(error, UserInfoError::InvalidAccessToken));
        assert!(!error.to_string().contains("bad"));
    }
}
