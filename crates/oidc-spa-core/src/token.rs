//! The token request for an authorization code (RFC 6749 4.1.3 with the PKCE verifier, RFC 7636 4.5) or a refresh
//! token (RFC 6749 6), and the parsing and checks of its response (RFC 6749 5.1/5.2, OIDC Core 3.1.3.3). HTTP is the
//! injected `AsyncHttpClient`; this module must not touch the network, storage or any browser API itself. No error
//! it returns carries a token, the code, the verifier or a response body.
//!
//! The response is parsed here rather than by the oauth2 crate's client: its endpoint response goes through
//! `serde_path_to_error`, a `serde(flatten)` buffer, `serde_json::Value` round trips and a Unicode `to_lowercase`
//! of `token_type`, about 19 KB gzip of the first load for six fields. Every rule it enforced is kept, and tested
//! below: only status 200 is a token response; any other status with an RFC 6749 5.2 body (`error` required,
//! `error_description` and `error_uri` optional, whatever its Content-Type) is the provider's refusal; a success
//! with a Content-Type must be `application/json` (case-insensitive); `access_token` and `token_type` are required
//! strings, `token_type` compared case-insensitively; `expires_in` a non-negative integer; `scope` a
//! space-separated string; unknown members ignored; repeated members refused.

use std::cell::Cell;
use std::fmt;

use oauth2::http::{Method, Request, StatusCode, header};
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::error::Category;
use thiserror::Error;

use super::config::Config;
use super::discovery::ProviderMetadata;
use super::fault::{Answer, parse_retry_after};
use super::secret::{AccessToken, AuthorizationCode, IdToken, PkceVerifier, RefreshToken};

/// What the token endpoint gave us, after the checks in [`exchange_code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    /// As sent (RFC 6749 7.1; compare it with `eq_ignore_ascii_case`, the value "is case insensitive"). Bearer
    /// today, checked by [`exchange_code`].
    pub token_type: String,
    pub id_token: IdToken,
    pub refresh_token: Option<RefreshToken>,
    /// Seconds from now (RFC 6749 5.1, RECOMMENDED so it may be absent).
    pub expires_in: Option<u64>,
    /// The granted scope when the provider states it (RFC 6749 5.1: omitted when identical to the request).
    pub scopes: Option<Vec<String>>,
    /// Seconds the refresh token stays usable, where the provider says so (Keycloak's `refresh_expires_in`, not in
    /// RFC 6749; `0`, Keycloak's word for an offline token without a limit, is `None`).
    pub refresh_expires_in: Option<u64>,
}

/// What a refresh gave us (RFC 6749 6 and 5.1). OIDC Core 12.2: the response "might not contain an id_token".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshResponse {
    pub access_token: AccessToken,
    /// As sent; see [`TokenResponse::token_type`].
    pub token_type: String,
    pub id_token: Option<IdToken>,
    /// A rotated refresh token (RFC 9700 4.14.2), or `None`: then the old one stays valid.
    pub refresh_token: Option<RefreshToken>,
    pub expires_in: Option<u64>,
    pub scopes: Option<Vec<String>>,
    /// See [`TokenResponse::refresh_expires_in`].
    pub refresh_expires_in: Option<u64>,
}

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("the token request could not be sent")]
    Http(#[source] Box<dyn std::error::Error + 'static>),
    /// RFC 6749 5.2 error response; `description` is the provider's text, kept as data for the UI. `status` is the
    /// HTTP status it came with, `retry_after` its `Retry-After` in seconds (RFC 9110 10.2.3).
    #[error("the token endpoint refused the request: {error}")]
    Provider {
        error: String,
        description: Option<String>,
        uri: Option<String>,
        status: u16,
        retry_after: Option<u64>,
    },
    #[error("the token endpoint answered with HTTP status {status}")]
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// The body did not have the token response's shape. The member being read (`.` for the object itself) and a
    /// sanitized parser message are kept, never the body: it may hold tokens.
    #[error("the token response is malformed (at `{path}`)")]
    Malformed {
        path: &'static str,
        #[source]
        source: JsonShapeError,
    },
    /// RFC 6749 5.1: the parameters are sent "using the application/json media type".
    #[error("the token response is not application/json")]
    NotJson,
    /// OIDC Core 3.1.3.3 wants Bearer; RFC 9449 5 wants DPoP when a proof was sent.
    #[error("the token response's token_type is not {expected}")]
    WrongTokenType {
        expected: &'static str,
        token_type: String,
    },
    #[error("the token response has an empty access_token")]
    MissingAccessToken,
    #[error("the token response has no id_token (was the `openid` scope granted?)")]
    MissingIdToken,
}

/// The access token type a request must get back: `Bearer` (OIDC Core 3.1.3.3), or `DPoP` when the request carried
/// a DPoP proof (RFC 9449 5: a client that asked for a bound token must not take a Bearer token instead, which
/// anyone holding it could use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Bearer,
    Dpop,
}

impl TokenType {
    /// The `token_type` value (RFC 6749 7.1, RFC 9449 5), compared without regard to ASCII case.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bearer => "Bearer",
            TokenType::Dpop => super::dpop::TOKEN_TYPE,
        }
    }
}

/// Redeems the code at the token endpoint. The request carries `grant_type=authorization_code`, `code`,
/// `redirect_uri` (RFC 6749 4.1.3: identical to the authorization request's), `client_id`, and `code_verifier`
/// (RFC 7636 4.5).
pub async fn exchange_code<C>(
    http: &C,
    config: &Config,
    metadata: &ProviderMetadata,
    code: AuthorizationCode,
    verifier: &PkceVerifier,
    expected: TokenType,
) -> Result<TokenResponse, TokenError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    let checked = request(
        http,
        metadata,
        expected,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.secret()),
            ("code_verifier", verifier.secret()),
            // A public client identifies itself in the body and sends no `Authorization` header (RFC 6749
            // 4.1.3: client_id is REQUIRED "if the client is not authenticating"; 3.2.1).
            ("client_id", &config.client_id),
            ("redirect_uri", config.redirect_uri.as_str()),
        ],
    )
    .await?;
    Ok(TokenResponse {
        id_token: checked.id_token.ok_or(TokenError::MissingIdToken)?,
        access_token: checked.access_token,
        token_type: checked.token_type,
        refresh_token: checked.refresh_token,
        expires_in: checked.expires_in,
        refresh_expires_in: checked.refresh_expires_in,
        scopes: checked.scopes,
    })
}

/// Renews the tokens with the refresh token grant (RFC 6749 6): `grant_type=refresh_token`, `refresh_token`,
/// `client_id`. The caller validates a returned ID token against the original (OIDC Core 12.2).
pub async fn refresh_tokens<C>(
    http: &C,
    config: &Config,
    metadata: &ProviderMetadata,
    refresh_token: &RefreshToken,
    expected: TokenType,
) -> Result<RefreshResponse, TokenError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    request(
        http,
        metadata,
        expected,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.secret()),
            ("client_id", &config.client_id),
        ],
    )
    .await
}

async fn request<C>(
    http: &C,
    metadata: &ProviderMetadata,
    expected: TokenType,
    form: &[(&str, &str)],
) -> Result<RefreshResponse, TokenError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    let request = form_post(&metadata.token_endpoint, form)
        .map_err(|source| TokenError::Http(Box::new(source)))?;
    let response = http
        .call(request)
        .await
        .map_err(|source| TokenError::Http(Box::new(source)))?;
    check_token_type(parse_response(&response)?, expected)
}

/// A form POST (`application/x-www-form-urlencoded`, RFC 6749 4.1.3 and 6; RFC 7009 2.1) that asks for JSON.
pub(super) fn form_post(
    endpoint: &url::Url,
    form: &[(&str, &str)],
) -> Result<HttpRequest, oauth2::http::uri::InvalidUri> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request = Request::new(body.into_bytes());
    *request.method_mut() = Method::POST;
    *request.uri_mut() = endpoint.as_str().parse()?;
    let headers = request.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers.insert(
        header::ACCEPT,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// The members of a token response (RFC 6749 5.1 plus OIDC's `id_token`) or of an error response (5.2) that we
/// read. `None` is absent or `null`.
#[derive(Debug, Default)]
pub(super) struct Members {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    scope: Option<String>,
    id_token: Option<String>,
    refresh_expires_in: Option<u64>,
    pub(super) error: Option<String>,
    pub(super) error_description: Option<String>,
    pub(super) error_uri: Option<String>,
}

/// Status and Content-Type checks, then the body (RFC 6749 5.1 for 200, 5.2 for anything else).
fn parse_response(response: &HttpResponse) -> Result<Members, TokenError> {
    let status = response.status();
    if status != StatusCode::OK {
        // An error response that is not RFC 6749 5.2 JSON (an HTML error page, an empty body) is reported by its
        // status; its body is never quoted.
        let (status, retry_after) = (status.as_u16(), retry_after(response));
        return Err(match parse_members(response.body(), Kind::Error) {
            Ok(Members {
                error: Some(error),
                error_description: description,
                error_uri: uri,
                ..
            }) => TokenError::Provider {
                error,
                description,
                uri,
                status,
                retry_after,
            },
            _ => TokenError::Status {
                status,
                retry_after,
            },
        });
    }
    // No Content-Type is tolerated (as the oauth2 crate does); another one is not. ASCII case folding only: the
    // media type is ASCII, and Unicode case tables cost 13 KB.
    if let Some(content_type) = response.headers().get(header::CONTENT_TYPE) {
        let json = b"application/json";
        let value = content_type.as_bytes();
        if value.len() < json.len() || !value[..json.len()].eq_ignore_ascii_case(json) {
            return Err(TokenError::NotJson);
        }
    }
    parse_members(response.body(), Kind::Token).map_err(|(path, source)| TokenError::Malformed {
        path,
        source: JsonShapeError::new(&source),
    })
}

/// The answer's `Retry-After` in seconds, if it has a readable one.
fn retry_after(response: &HttpResponse) -> Option<u64> {
    let value = response.headers().get(header::RETRY_AFTER)?;
    parse_retry_after(value.as_bytes())
}

impl TokenError {
    /// The failure in the terms of [`fault::classify`](super::fault::classify).
    pub fn answer(&self) -> Answer<'_> {
        match self {
            TokenError::Http(_) => Answer::Lost,
            TokenError::Provider { error, status, .. } => Answer::Refusal {
                status: *status,
                error: Some(error),
            },
            TokenError::Status { status, .. } => Answer::Refusal {
                status: *status,
                error: None,
            },
            TokenError::Malformed { .. } | TokenError::NotJson | TokenError::MissingAccessToken => {
                Answer::Unreadable
            }
            TokenError::WrongTokenType { .. } | TokenError::MissingIdToken => Answer::Unacceptable,
        }
    }

    /// The seconds the provider asked the client to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            TokenError::Provider { retry_after, .. } | TokenError::Status { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// Which members [`parse_members`] reads; the others are ignored whatever their type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Token,
    Error,
}

/// Parses one JSON object (and nothing after it), returning on failure the member being read (`.` for the object
/// itself). Required members of a token response: `access_token` and `token_type`; of an error response: `error`.
pub(super) fn parse_members(
    body: &[u8],
    kind: Kind,
) -> Result<Members, (&'static str, serde_json::Error)> {
    let at = Cell::new(".");
    let mut json = serde_json::Deserializer::from_slice(body);
    // `deserialize_any`, not `deserialize_map`: anything but an object then reaches the visitor's own refusals
    // below, instead of serde_json's type error, whose message formats the value (floats included) and brought
    // that formatting code into the first load.
    let members = json
        .deserialize_any(MembersVisitor { kind, at: &at })
        .and_then(|members| json.end().map(|()| members))
        .map_err(|error| (at.get(), error))?;
    Ok(members)
}

struct MembersVisitor<'a> {
    kind: Kind,
    at: &'a Cell<&'static str>,
}

impl<'de> Visitor<'de> for MembersVisitor<'_> {
    type Value = Members;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Members, E> {
        Err(E::custom(WRONG_TYPE))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Members, E> {
        Err(E::custom(WRONG_TYPE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Members, E> {
        Err(E::custom(WRONG_TYPE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Members, E> {
        Err(E::custom(WRONG_TYPE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Members, E> {
        Err(E::custom(WRONG_TYPE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Members, E> {
        Err(E::custom(WRONG_TYPE))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Members, A::Error> {
        Err(de::Error::custom(WRONG_TYPE))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Members::default();
        let mut seen = 0u16;
        while let Some(name) = map.next_key::<String>()? {
            let m = &mut members;
            let (bit, name) = match (self.kind, name.as_str()) {
                (Kind::Token, "access_token") => (
                    0,
                    read(
                        &mut map,
                        &mut m.access_token,
                        self.at,
                        "access_token",
                        string,
                    )?,
                ),
                (Kind::Token, "token_type") => (
                    1,
                    read(&mut map, &mut m.token_type, self.at, "token_type", string)?,
                ),
                (Kind::Token, "expires_in") => (
                    2,
                    read(&mut map, &mut m.expires_in, self.at, "expires_in", count)?,
                ),
                (Kind::Token, "refresh_token") => (
                    3,
                    read(
                        &mut map,
                        &mut m.refresh_token,
                        self.at,
                        "refresh_token",
                        string,
                    )?,
                ),
                (Kind::Token, "scope") => {
                    (4, read(&mut map, &mut m.scope, self.at, "scope", string)?)
                }
                (Kind::Token, "id_token") => (
                    5,
                    read(&mut map, &mut m.id_token, self.at, "id_token", string)?,
                ),
                // Not RFC 6749's: read when it is a count, ignored otherwise rather than refusing the response.
                (Kind::Token, "refresh_expires_in") => {
                    m.refresh_expires_in = map.next_value::<Value>()?.as_u64();
                    (9, "refresh_expires_in")
                }
                (Kind::Error, "error") => {
                    (6, read(&mut map, &mut m.error, self.at, "error", string)?)
                }
                (Kind::Error, "error_description") => (
                    7,
                    read(
                        &mut map,
                        &mut m.error_description,
                        self.at,
                        "error_description",
                        string,
                    )?,
                ),
                (Kind::Error, "error_uri") => (
                    8,
                    read(&mut map, &mut m.error_uri, self.at, "error_uri", string)?,
                ),
                // RFC 6749 5.1: "The client MUST ignore unrecognized value names in the response."
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // A repeated member could smuggle a second value past whatever read the first: refused, as serde's
            // derived structs (and so the oauth2 crate) do.
            if seen & (1 << bit) != 0 {
                return Err(de::Error::duplicate_field(name));
            }
            seen |= 1 << bit;
        }
        self.at.set(".");
        let required: &[(bool, &'static str)] = match self.kind {
            Kind::Token => &[
                (members.access_token.is_some(), "access_token"),
                (members.token_type.is_some(), "token_type"),
            ],
            Kind::Error => &[(members.error.is_some(), "error")],
        };
        for &(present, name) in required {
            if !present {
                return Err(de::Error::missing_field(name));
            }
        }
        Ok(members)
    }
}

/// Reads the value of member `name` into `slot`, noting the name for an error. The value is parsed as a `Value`
/// (the reader the rest of the first load uses) and `typed` takes what it accepts; `null` is absent. A reader per
/// type through serde (`Option<String>`, `Option<u64>`) was a second copy of the parser's typed paths.
fn read<'de, A, T>(
    map: &mut A,
    slot: &mut Option<T>,
    at: &Cell<&'static str>,
    name: &'static str,
    typed: fn(Value) -> Option<T>,
) -> Result<&'static str, A::Error>
where
    A: MapAccess<'de>,
{
    at.set(name);
    *slot = match map.next_value::<Value>()? {
        Value::Null => None,
        value => Some(typed(value).ok_or_else(|| de::Error::custom(WRONG_TYPE))?),
    };
    Ok(name)
}

/// What [`JsonShapeError`] says of a value of the wrong type or format, whoever found it.
const WRONG_TYPE: &str = "a value has the wrong type or format";

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// A non-negative integer that fits `u64` (not `1.5`, `3e2` or `-1`).
fn count(value: Value) -> Option<u64> {
    value.as_u64()
}

/// A serde_json error without anything quoted from the input. serde's data errors can quote the offending value
/// ("invalid type: string \"...\"") and that value could be a token, so only messages that name a field of ours
/// are kept; syntax errors never quote input and keep only their position.
#[derive(Debug, Error)]
#[error("{message} at line {line} column {column}")]
pub struct JsonShapeError {
    message: String,
    line: usize,
    column: usize,
}

impl JsonShapeError {
    fn new(error: &serde_json::Error) -> Self {
        let message = match error.classify() {
            Category::Data => {
                let text = error.to_string();
                if text.starts_with("missing field `") || text.starts_with("duplicate field `") {
                    text.split(" at line ")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                } else {
                    WRONG_TYPE.to_owned()
                }
            }
            Category::Syntax => "not valid JSON".to_owned(),
            Category::Eof => "the JSON ends early".to_owned(),
            Category::Io => "the body could not be read".to_owned(),
        };
        JsonShapeError {
            message,
            line: error.line(),
            column: error.column(),
        }
    }
}

/// OIDC Core 3.1.3.3 (and RFC 6749 5.1 for refreshes): an access token of the `expected` type. The ID token is
/// required by the caller that needs one.
fn check_token_type(members: Members, expected: TokenType) -> Result<RefreshResponse, TokenError> {
    // `parse_members` guarantees both; the defaults are never used.
    let token_type = members.token_type.unwrap_or_default();
    let access_token = members.access_token.unwrap_or_default();
    // RFC 6749 5.1 and 7.1: token_type "value is case insensitive"; OIDC Core 3.1.3.3: it "MUST be Bearer";
    // RFC 9449 5: DPoP when the request carried a proof.
    if !token_type.eq_ignore_ascii_case(expected.as_str()) {
        return Err(TokenError::WrongTokenType {
            expected: expected.as_str(),
            token_type,
        });
    }
    if access_token.is_empty() {
        return Err(TokenError::MissingAccessToken);
    }
    let non_empty = |token: Option<String>| token.filter(|token| !token.is_empty());
    Ok(RefreshResponse {
        access_token: AccessToken::new(access_token),
        token_type,
        id_token: non_empty(members.id_token).map(IdToken::new),
        refresh_token: non_empty(members.refresh_token).map(RefreshToken::new),
        expires_in: members.expires_in,
        refresh_expires_in: members.refresh_expires_in.filter(|seconds| *seconds > 0),
        // RFC 6749 3.3: scope tokens are separated by spaces (%x20); an empty one names nothing.
        scopes: members.scope.map(|scope| {
            scope
                .split(' ')
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeHttpError, config, metadata, respond};
    use futures::executor::block_on;
    use oauth2::HttpResponse;
    use oauth2::http::{Method, header};

    const TOKEN_URL: &str = "https://id.example/realms/demo/protocol/openid-connect/token";

    fn form(request: &HttpRequest) -> Vec<(String, String)> {
        url::form_urlencoded::parse(request.body())
            .into_owned()
            .collect()
    }

    /// Runs the exchange against a fake token endpoint that checks the request and answers `status` + `body`.
    fn exchange(
        status: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<TokenResponse, TokenError> {
        let client = |request: HttpRequest| {
            assert_eq!(request.method(), Method::POST);
            assert_eq!(request.uri().to_string(), TOKEN_URL);
            assert!(request.headers().get(header::AUTHORIZATION).is_none());
            assert_eq!(request.headers()[header::ACCEPT], "application/json");
            assert_eq!(
                request.headers()[header::CONTENT_TYPE],
                "application/x-www-form-urlencoded"
            );
            assert_eq!(
                form(&request),
                [
                    ("grant_type", "authorization_code"),
                    ("code", "the-code"),
                    (
                        "code_verifier",
                        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
                    ),
                    ("client_id", "spa"),
                    ("redirect_uri", "https://app.example/callback"),
                ]
                .map(|(name, value)| (name.to_string(), value.to_string()))
            );
            respond(status, content_type, body)
        };
        block_on(exchange_code(
            &client,
            &config(),
            &metadata(),
            AuthorizationCode::new("the-code".into()),
            &PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
            TokenType::Bearer,
        ))
    }

    const JSON: Option<&str> = Some("application/json;charset=UTF-8");

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn successful_exchange() {
        let tokens = exchange(
            200,
            JSON,
            r#"{"access_token":"at-1","token_type":"Bearer","expires_in":300,"refresh_token":"rt-1",
                "scope":"openid email","id_token":"h.c.s","not-before-policy":0}"#,
        )
        .unwrap();
        assert_eq!(tokens.access_token.secret(), "at-1");
        assert_eq!(tokens.id_token.secret(), "h.c.s");
        assert_eq!(
            tokens.refresh_token.as_ref().map(RefreshToken::secret),
            Some("rt-1")
        );
        assert_eq!(tokens.expires_in, Some(300));
        assert_eq!(
            tokens.scopes,
            Some(vec!["openid".to_string(), "email".to_string()])
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn optional_fields_may_be_absent_and_bearer_is_case_insensitive() {
        for token_type in ["bearer", "BEARER", "Bearer"] {
            let body = format!(
                r#"{{"access_token":"at","token_type":"{token_type}","id_token":"h.c.s"}}"#
            );
            let tokens = exchange(200, None, &body).unwrap();
            assert_eq!(tokens.refresh_token, None);
            assert_eq!(tokens.expires_in, None);
            assert_eq!(tokens.scopes, None);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn provider_error_is_typed_and_keeps_the_description() {
        let error = exchange(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"Code not valid","error_uri":"https://id.example/e"}"#,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the token endpoint refused the request: invalid_grant"
        );
        match error {
            TokenError::Provider {
                error,
                description,
                uri,
                status,
                retry_after,
            } => {
                assert_eq!((status, retry_after), (400, None));
                assert_eq!(error, "invalid_grant");
                assert_eq!(description.as_deref(), Some("Code not valid"));
                assert_eq!(uri.as_deref(), Some("https://id.example/e"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn server_error_page_gives_the_status_not_the_body() {
        let body = "<html><body>secret-in-body at-1 stack trace</body></html>";
        for content_type in [Some("text/html"), None] {
            let error = exchange(500, content_type, body).unwrap_err();
            assert!(
                matches!(error, TokenError::Status { status: 500, .. }),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                "the token endpoint answered with HTTP status 500"
            );
            assert!(!format!("{error:?}").contains("secret-in-body"));
        }
        let error = exchange(502, JSON, "").unwrap_err();
        assert!(
            matches!(error, TokenError::Status { status: 502, .. }),
            "{error:?}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn non_json_success_is_malformed_without_the_body() {
        let error = exchange(200, None, "access_token=at-secret&token_type=bearer").unwrap_err();
        assert!(matches!(error, TokenError::Malformed { .. }), "{error:?}");
        let chain = error_chain(&error);
        assert!(!chain.contains("at-secret"), "{chain}");

        let error = exchange(200, Some("text/html"), "<html>at-secret</html>").unwrap_err();
        assert!(matches!(error, TokenError::NotJson), "{error:?}");
        assert!(!error_chain(&error).contains("at-secret"));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn token_type_must_be_bearer() {
        let error = exchange(
            200,
            JSON,
            r#"{"access_token":"at-secret","token_type":"mac","id_token":"h.c.s"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&error, TokenError::WrongTokenType { token_type, .. } if token_type == "mac")
        );
        let error = exchange(
            200,
            JSON,
            r#"{"access_token":"at-secret","token_type":"DPoP","id_token":"h.c.s"}"#,
        )
        .unwrap_err();
        assert!(matches!(error, TokenError::WrongTokenType { .. }));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_request_with_a_dpop_proof_takes_only_a_dpop_token() {
        let answering = |token_type: &'static str| {
            move |_request: HttpRequest| {
                let body = format!(
                    r#"{{"access_token":"at-secret","token_type":"{token_type}","id_token":"h.c.s"}}"#
                );
                respond(200, JSON, &body)
            }
        };
        let exchange_as = |token_type, expected| {
            block_on(exchange_code(
                &answering(token_type),
                &config(),
                &metadata(),
                AuthorizationCode::new("the-code".into()),
                &PkceVerifier::new("v".repeat(43)),
                expected,
            ))
        };
        let refresh_as = |token_type, expected| {
            block_on(refresh_tokens(
                &answering(token_type),
                &config(),
                &metadata(),
                &RefreshToken::new("rt-old".into()),
                expected,
            ))
        };
        for token_type in ["DPoP", "dpop"] {
            assert!(exchange_as(token_type, TokenType::Dpop).is_ok());
            assert!(refresh_as(token_type, TokenType::Dpop).is_ok());
        }
        // RFC 9449 5: a Bearer token where a bound one was asked for is refused, on both grants.
        let error = exchange_as("Bearer", TokenType::Dpop).unwrap_err();
        assert!(
            matches!(&error, TokenError::WrongTokenType { expected: "DPoP", token_type } if token_type == "Bearer"),
            "{error:?}"
        );
        assert!(matches!(
            refresh_as("Bearer", TokenType::Dpop),
            Err(TokenError::WrongTokenType { .. })
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn id_token_is_required() {
        for body in [
            r#"{"access_token":"at-secret","token_type":"Bearer"}"#,
            r#"{"access_token":"at-secret","token_type":"Bearer","id_token":""}"#,
        ] {
            let error = exchange(200, JSON, body).unwrap_err();
            assert!(matches!(error, TokenError::MissingIdToken), "{error:?}");
        }
        let error = exchange(
            200,
            JSON,
            r#"{"access_token":"","token_type":"Bearer","id_token":"h.c.s"}"#,
        )
        .unwrap_err();
        assert!(matches!(error, TokenError::MissingAccessToken));
        let error =
            exchange(200, JSON, r#"{"token_type":"Bearer","id_token":"h.c.s"}"#).unwrap_err();
        assert!(
            matches!(&error, TokenError::Malformed { path, .. } if *path == "."),
            "{error:?}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn transport_failure_keeps_its_cause() {
        let client = |_request: HttpRequest| async { Err::<HttpResponse, _>(FakeHttpError) };
        let error = block_on(exchange_code(
            &client,
            &config(),
            &metadata(),
            AuthorizationCode::new("the-code".into()),
            &PkceVerifier::new("v".repeat(43)),
            TokenType::Bearer,
        ))
        .unwrap_err();
        assert!(matches!(error, TokenError::Http(_)));
        assert_eq!(
            error_chain(&error),
            "the token request could not be sent: network down"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn mistyped_values_are_not_quoted_in_the_error_chain() {
        // serde would say `invalid type: string "rt-secret", expected u64`; the chain must not. The position is
        // where the object was closed: a member's type is checked once its value has been read.
        let error = exchange(
            200,
            JSON,
            r#"{"access_token":"at","token_type":"Bearer","id_token":"h.c.s","expires_in":"rt-secret"}"#,
        )
        .unwrap_err();
        let chain = error_chain(&error);
        assert!(!chain.contains("rt-secret"), "{chain}");
        assert_eq!(
            chain,
            "the token response is malformed (at `expires_in`): a value has the wrong type or format at line 1 column 87"
        );
    }

    // RFC 6749 5.1/5.2 rules the oauth2 crate's endpoint response enforced, one test each (see the module docs).

    fn token_body(extra: &str) -> String {
        format!(r#"{{"access_token":"at-secret","token_type":"Bearer","id_token":"h.c.s"{extra}}}"#)
    }

    fn malformed_at(result: Result<TokenResponse, TokenError>) -> (&'static str, String) {
        match result {
            Err(error @ TokenError::Malformed { path, .. }) => {
                let chain = error_chain(&error);
                assert!(!chain.contains("secret"), "{chain}");
                (path, chain)
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_status_200_is_a_token_response() {
        // A 2xx other than 200 with a token body is not a success (the oauth2 crate accepted exactly 200).
        let error = exchange(201, JSON, &token_body("")).unwrap_err();
        assert!(
            matches!(error, TokenError::Status { status: 201, .. }),
            "{error:?}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn error_responses_are_read_whatever_their_content_type_and_status() {
        for (status, content_type) in [(400, Some("text/plain")), (401, None), (500, JSON)] {
            let error =
                exchange(status, content_type, r#"{"error":"invalid_client"}"#).unwrap_err();
            assert!(
                matches!(&error, TokenError::Provider { error, description: None, uri: None, .. } if error == "invalid_client"),
                "{error:?}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_error_response_needs_a_string_error_and_ignores_unknown_members() {
        let error = exchange(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_codes":[70008],"trace":{"id":1},"error_description":"expired"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&error, TokenError::Provider { error, description: Some(d), .. } if error == "invalid_grant" && d == "expired"),
            "{error:?}"
        );
        for body in [
            r#"{"error_description":"no error code"}"#,
            r#"{"error":400}"#,
            r#"{"error":null}"#,
            r#"{"error":"a","error_description":7}"#,
            r#"{"error":"a","error_uri":["x"]}"#,
            r#"{"error":"a","error":"b"}"#,
            r#"["invalid_grant"]"#,
        ] {
            let error = exchange(400, JSON, body).unwrap_err();
            assert!(
                matches!(error, TokenError::Status { status: 400, .. }),
                "{body}: {error:?}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_success_must_be_application_json_in_any_case_or_untyped() {
        for content_type in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "APPLICATION/JSON",
        ] {
            assert!(
                exchange(200, Some(content_type), &token_body("")).is_ok(),
                "{content_type}"
            );
        }
        assert!(exchange(200, None, &token_body("")).is_ok());
        for content_type in [
            "text/plain",
            "application/jso",
            "application/x-www-form-urlencoded",
            "",
        ] {
            let error = exchange(200, Some(content_type), &token_body("")).unwrap_err();
            assert!(
                matches!(error, TokenError::NotJson),
                "{content_type}: {error:?}"
            );
            assert_eq!(
                error.to_string(),
                "the token response is not application/json"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_empty_success_body_is_malformed() {
        let (path, chain) = malformed_at(exchange(200, JSON, ""));
        assert_eq!(path, ".");
        assert!(
            chain.ends_with("the JSON ends early at line 1 column 0"),
            "{chain}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn access_token_and_token_type_are_required_strings() {
        for (body, field) in [
            (
                r#"{"token_type":"Bearer","id_token":"h.c.s"}"#,
                "access_token",
            ),
            (
                r#"{"access_token":"at-secret","id_token":"h.c.s"}"#,
                "token_type",
            ),
            (
                r#"{"access_token":null,"token_type":"Bearer"}"#,
                "access_token",
            ),
        ] {
            let (path, chain) = malformed_at(exchange(200, JSON, body));
            assert_eq!(path, ".");
            assert!(
                chain.contains(&format!("missing field `{field}`")),
                "{chain}"
            );
        }
        for (body, field) in [
            (
                r#"{"access_token":12,"token_type":"Bearer"}"#,
                "access_token",
            ),
            (
                r#"{"access_token":"at-secret","token_type":["Bearer"]}"#,
                "token_type",
            ),
        ] {
            let (path, chain) = malformed_at(exchange(200, JSON, body));
            assert_eq!(path, field);
            assert!(
                chain.contains("a value has the wrong type or format"),
                "{chain}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn token_type_is_kept_as_sent_and_compared_without_case() {
        let tokens = exchange(200, JSON, &token_body("").replace("Bearer", "bEaReR")).unwrap();
        assert_eq!(tokens.token_type, "bEaReR");
        // Exactly the six letters, in any ASCII case: no look-alike (Cyrillic `е`), padding or prefix.
        for look_alike in [
            "B\u{0435}arer",
            "Bearer\\u0000",
            "Bearer ",
            "bear",
            "bearers",
        ] {
            let error =
                exchange(200, JSON, &token_body("").replace("Bearer", look_alike)).unwrap_err();
            assert!(
                matches!(error, TokenError::WrongTokenType { .. }),
                "{look_alike}: {error:?}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn expires_in_is_a_non_negative_integer_or_null() {
        let tokens = exchange(200, JSON, &token_body(r#","expires_in":null"#)).unwrap();
        assert_eq!(tokens.expires_in, None);
        let tokens = exchange(200, JSON, &token_body(r#","expires_in":0"#)).unwrap();
        assert_eq!(tokens.expires_in, Some(0));
        for value in [
            r#""300""#,
            "-1",
            "1.5",
            "3e2",
            "true",
            "18446744073709551616",
        ] {
            let (path, _) = malformed_at(exchange(
                200,
                JSON,
                &token_body(&format!(r#","expires_in":{value}"#)),
            ));
            assert_eq!(path, "expires_in", "{value}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn scope_is_a_space_separated_string() {
        let tokens = exchange(
            200,
            JSON,
            &token_body(r#","scope":"openid  email offline_access""#),
        )
        .unwrap();
        assert_eq!(
            tokens.scopes,
            Some(vec![
                "openid".to_string(),
                "email".to_string(),
                "offline_access".to_string()
            ])
        );
        let tokens = exchange(200, JSON, &token_body(r#","scope":null"#)).unwrap();
        assert_eq!(tokens.scopes, None);
        for value in [r#"["openid"]"#, "1"] {
            let (path, _) = malformed_at(exchange(
                200,
                JSON,
                &token_body(&format!(r#","scope":{value}"#)),
            ));
            assert_eq!(path, "scope", "{value}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn optional_tokens_must_be_strings() {
        for (body, field) in [
            (token_body(r#","refresh_token":1"#), "refresh_token"),
            (
                r#"{"access_token":"at-secret","token_type":"Bearer","id_token":{"a":1}}"#
                    .to_owned(),
                "id_token",
            ),
        ] {
            let (path, _) = malformed_at(exchange(200, JSON, &body));
            assert_eq!(path, field);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn unknown_members_of_any_type_are_ignored() {
        let tokens = exchange(
            200,
            JSON,
            &token_body(
                r#","session_state":"x","nested":{"access_token":5,"a":[1,{"b":null}]},"error":3,"n":1.5e3,"t":true"#,
            ),
        )
        .unwrap();
        assert_eq!(tokens.access_token.secret(), "at-secret");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn repeated_members_are_refused() {
        for (extra, field) in [
            (r#","access_token":"at-2""#, "access_token"),
            (r#","token_type":"mac""#, "token_type"),
            (r#","id_token":"h2.c.s""#, "id_token"),
            (r#","expires_in":1,"expires_in":2"#, "expires_in"),
        ] {
            let (path, chain) = malformed_at(exchange(200, JSON, &token_body(extra)));
            assert_eq!(path, field);
            assert!(
                chain.contains(&format!("duplicate field `{field}`")),
                "{chain}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_body_is_one_object_and_nothing_else() {
        for body in [
            r#"["at-secret","Bearer"]"#.to_owned(),
            r#""at-secret""#.to_owned(),
            format!("{} x", token_body("")),
            format!("{}{{}}", token_body("")),
        ] {
            let (path, _) = malformed_at(exchange(200, JSON, &body));
            assert_eq!(path, ".", "{body}");
        }
        // Every JSON value that is not an object is refused as a value of the wrong type, never quoted.
        for body in [
            "null",
            "true",
            "5",
            "-5",
            "1.5e300",
            r#""at-secret""#,
            r#"["at-secret"]"#,
        ] {
            let (path, chain) = malformed_at(exchange(200, JSON, body));
            assert_eq!(path, ".", "{body}");
            assert!(
                chain.contains(": a value has the wrong type or format at line 1 column "),
                "{body}: {chain}"
            );
        }
        assert!(exchange(200, JSON, &format!(" \n{}\n ", token_body(""))).is_ok());
    }

    fn error_chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    fn refresh(status: u16, body: &str) -> Result<RefreshResponse, TokenError> {
        refresh_answered(status, None, body)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn refresh_sends_the_refresh_grant_and_reads_a_rotated_token() {
        let tokens = refresh(
            200,
            r#"{"access_token":"at-2","token_type":"Bearer","expires_in":60,"refresh_token":"rt-new","id_token":"h.c.s"}"#,
        )
        .unwrap();
        assert_eq!(tokens.access_token.secret(), "at-2");
        assert_eq!(
            tokens.refresh_token.as_ref().map(RefreshToken::secret),
            Some("rt-new")
        );
        assert_eq!(tokens.id_token.as_ref().map(IdToken::secret), Some("h.c.s"));
        assert_eq!(tokens.expires_in, Some(60));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn refresh_may_omit_the_id_token_and_the_refresh_token() {
        let tokens = refresh(200, r#"{"access_token":"at-2","token_type":"bearer"}"#).unwrap();
        assert_eq!(tokens.id_token, None);
        assert_eq!(tokens.refresh_token, None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn refresh_rejections_are_typed() {
        let error = refresh(
            400,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&error, TokenError::Provider { error, .. } if error == "invalid_grant"),
            "{error:?}"
        );
        assert!(matches!(
            refresh(200, r#"{"access_token":"at-2","token_type":"mac"}"#),
            Err(TokenError::WrongTokenType { .. })
        ));
        assert!(matches!(
            refresh(502, "<html>bad gateway</html>"),
            Err(TokenError::Status { status: 502, .. })
        ));
    }

    /// A refresh that checks its request and is answered `status` with a JSON `body` and, when given, a
    /// `Retry-After` header.
    fn refresh_answered(
        status: u16,
        retry_after: Option<&str>,
        body: &str,
    ) -> Result<RefreshResponse, TokenError> {
        let client = |request: HttpRequest| {
            assert_eq!(request.method(), Method::POST);
            assert_eq!(request.uri().to_string(), TOKEN_URL);
            assert!(request.headers().get(header::AUTHORIZATION).is_none());
            assert_eq!(
                form(&request),
                [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "rt-old"),
                    ("client_id", "spa"),
                ]
                .map(|(name, value)| (name.to_string(), value.to_string()))
            );
            let mut builder = oauth2::http::Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/json;charset=UTF-8");
            if let Some(value) = retry_after {
                builder = builder.header(header::RETRY_AFTER, value);
            }
            std::future::ready(Ok::<_, FakeHttpError>(
                builder.body(body.as_bytes().to_vec()).unwrap(),
            ))
        };
        block_on(refresh_tokens(
            &client,
            &config(),
            &metadata(),
            &RefreshToken::new("rt-old".into()),
            TokenType::Bearer,
        ))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refusal_keeps_its_status_and_retry_after_and_classifies_by_them() {
        use crate::fault::{Verdict, classify};
        let error = refresh_answered(
            503,
            Some("7"),
            r#"{"error":"temporarily_unavailable","error_description":"down for a moment"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&error, TokenError::Provider { error, status: 503, retry_after: Some(7), .. }
                if error == "temporarily_unavailable"),
            "{error:?}"
        );
        assert_eq!(classify(error.answer()), Verdict::Transient);
        // A 429 with an OAuth body that names the grant: the status decides, the grant is not judged.
        let error = refresh_answered(429, Some("30"), r#"{"error":"invalid_grant"}"#).unwrap_err();
        assert_eq!(error.retry_after(), Some(30));
        assert_eq!(classify(error.answer()), Verdict::Transient);
        // Without a body, and with a date (not read): the status alone.
        let error = refresh_answered(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), "").unwrap_err();
        assert!(
            matches!(
                error,
                TokenError::Status {
                    status: 429,
                    retry_after: None
                }
            ),
            "{error:?}"
        );
        assert_eq!(classify(error.answer()), Verdict::Transient);
        // The refusals that end a session or name the configuration.
        let error = refresh_answered(400, None, r#"{"error":"invalid_grant"}"#).unwrap_err();
        assert_eq!(classify(error.answer()), Verdict::GrantGone);
        let error = refresh_answered(401, None, r#"{"error":"invalid_client"}"#).unwrap_err();
        assert_eq!(classify(error.answer()), Verdict::Misconfigured);
        // A 200 that is not a token response never arrived whole: weather.
        let error = refresh_answered(200, None, "<html>").unwrap_err();
        assert_eq!(classify(error.answer()), Verdict::Transient);
        let error =
            refresh_answered(200, None, r#"{"access_token":"at","token_type":"mac"}"#).unwrap_err();
        assert_eq!(classify(error.answer()), Verdict::Refused);
        // No answer at all.
        let lost = block_on(refresh_tokens(
            &|_: HttpRequest| std::future::ready(Err::<HttpResponse, _>(FakeHttpError)),
            &config(),
            &metadata(),
            &RefreshToken::new("rt-old".into()),
            TokenType::Bearer,
        ))
        .unwrap_err();
        assert_eq!(classify(lost.answer()), Verdict::Transient);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_stated_refresh_token_lifetime_is_read_and_zero_or_junk_is_none() {
        let read = |body: &str| refresh(200, body).unwrap().refresh_expires_in;
        let base = r#""access_token":"at","token_type":"Bearer""#;
        assert_eq!(
            read(&format!("{{{base},\"refresh_expires_in\":1800}}")),
            Some(1800)
        );
        assert_eq!(read(&format!("{{{base},\"refresh_expires_in\":0}}")), None);
        assert_eq!(
            read(&format!("{{{base},\"refresh_expires_in\":\"1800\"}}")),
            None
        );
        assert_eq!(read(&format!("{{{base}}}")), None);
    }
}
