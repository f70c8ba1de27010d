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

use crate::lifecycle::fault::{Answer, parse_retry_after};
use crate::provider::config::Config;
use crate::provider::discovery::ProviderMetadata;
use crate::secret::{AccessToken, AuthorizationCode, IdToken, PkceVerifier, RefreshToken};

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
            TokenType::Dpop => crate::sender::dpop::TOKEN_TYPE,
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
pub(crate) fn form_post(
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
pub(crate) struct Members {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    scope: Option<String>,
    id_token: Option<String>,
    refresh_expires_in: Option<u64>,
    pub(crate) error: Option<String>,
    pub(crate) error_description: Option<String>,
    pub(crate) error_uri: Option<String>,
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
    /// The failure in the terms of [`fault::classify`](crate::lifecycle::fault::classify).
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
pub(crate) enum Kind {
    Token,
    Error,
}

/// Parses one JSON object (and nothing after it), returning on failure the member being read (`.` for the object
/// itself). Required members of a token response: `access_token` and `token_type`; of an error response: `error`.
pub(crate) fn parse_members(
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
mod tests;
