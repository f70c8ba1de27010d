//! The token request for an authorization code (RFC 6749 4.1.3 with the PKCE verifier, RFC 7636 4.5) through the
//! oauth2 crate, and the checks on its response (OIDC Core 3.1.3.3). HTTP is the injected `AsyncHttpClient`; this
//! module must not touch the network, storage or any browser API itself. No error it returns carries a token, the
//! code, the verifier or a response body.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};

use oauth2::TokenResponse as _;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthType, Client, ClientId, EndpointNotSet, EndpointSet, ExtraTokenFields,
    HttpRequest, HttpResponse, RedirectUrl, RequestTokenError, StandardRevocableToken,
    StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use thiserror::Error;

use super::config::Config;
use super::discovery::ProviderMetadata;
use super::secret::{AccessToken, AuthorizationCode, IdToken, PkceVerifier, RefreshToken};

/// What the token endpoint gave us, after the checks in [`exchange_code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    pub id_token: IdToken,
    pub refresh_token: Option<RefreshToken>,
    /// Seconds from now (RFC 6749 5.1, RECOMMENDED so it may be absent).
    pub expires_in: Option<u64>,
    /// The granted scope when the provider states it (RFC 6749 5.1: omitted when identical to the request).
    pub scopes: Option<Vec<String>>,
}

/// What a refresh gave us (RFC 6749 6 and 5.1). OIDC Core 12.2: the response "might not contain an id_token".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshResponse {
    pub access_token: AccessToken,
    pub id_token: Option<IdToken>,
    /// A rotated refresh token (RFC 9700 4.14.2), or `None`: then the old one stays valid.
    pub refresh_token: Option<RefreshToken>,
    pub expires_in: Option<u64>,
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("the token request could not be sent")]
    Http(#[source] Box<dyn std::error::Error + 'static>),
    /// RFC 6749 5.2 error response; `description` is the provider's text, kept as data for the UI.
    #[error("the token endpoint refused the request: {error}")]
    Provider {
        error: String,
        description: Option<String>,
        uri: Option<String>,
    },
    #[error("the token endpoint answered with HTTP status {status}")]
    Status { status: u16 },
    /// The body did not have the token response's shape. The JSON path and a sanitized parser message are kept,
    /// never the body: it may hold tokens.
    #[error("the token response is malformed (at `{path}`)")]
    Malformed {
        path: String,
        #[source]
        source: JsonShapeError,
    },
    /// An oauth2-crate check failed (e.g. the response was not `application/json`, or was empty). The reason
    /// is the crate's own text, which never includes the body.
    #[error("unexpected token response: {reason}")]
    Unexpected { reason: String },
    #[error("the token response's token_type is not Bearer")]
    NotBearer { token_type: String },
    #[error("the token response has an empty access_token")]
    MissingAccessToken,
    #[error("the token response has no id_token (was the `openid` scope granted?)")]
    MissingIdToken,
}

/// The OIDC addition to RFC 6749 5.1: `id_token` (OIDC Core 3.1.3.3). Optional here, so that its absence is the
/// typed [`TokenError::MissingIdToken`] rather than a parse error.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OidcTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
}

impl ExtraTokenFields for OidcTokenFields {}

type OidcTokenResponse = StandardTokenResponse<OidcTokenFields, BasicTokenType>;

pub(super) type OidcClient = Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A public client (no secret): `AuthType::RequestBody` puts `client_id` in the form body and sends no
/// `Authorization` header (RFC 6749 4.1.3: client_id is REQUIRED "if the client is not authenticating"; 3.2.1).
pub(super) fn oauth2_client(config: &Config, metadata: &ProviderMetadata) -> OidcClient {
    Client::new(ClientId::new(config.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(metadata.token_endpoint.clone()))
        .set_redirect_uri(RedirectUrl::from_url(config.redirect_uri.clone()))
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
) -> Result<TokenResponse, TokenError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    let verifier = oauth2::PkceCodeVerifier::new(verifier.secret().to_owned());
    let client = oauth2_client(config, metadata);
    let recorder = StatusRecorder::new(http);
    let result = client
        .exchange_code(oauth2::AuthorizationCode::new(code.into_secret()))
        .set_pkce_verifier(verifier)
        .request_async(&recorder)
        .await;
    let response = result.map_err(|error| token_error(error, recorder.status()))?;
    let checked = check_bearer(response)?;
    Ok(TokenResponse {
        id_token: checked.id_token.ok_or(TokenError::MissingIdToken)?,
        access_token: checked.access_token,
        refresh_token: checked.refresh_token,
        expires_in: checked.expires_in,
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
) -> Result<RefreshResponse, TokenError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    let refresh_token = oauth2::RefreshToken::new(refresh_token.secret().to_owned());
    let client = oauth2_client(config, metadata);
    let recorder = StatusRecorder::new(http);
    let result = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&recorder)
        .await;
    check_bearer(result.map_err(|error| token_error(error, recorder.status()))?)
}

/// Passes requests to the injected client and remembers the last HTTP status. oauth2 folds every non-200 answer
/// it cannot parse as an RFC 6749 5.2 error into `Parse`/`Other`; the status lets us report "HTTP 500" instead
/// of a JSON error about an HTML page.
struct StatusRecorder<'h, C> {
    http: &'h C,
    status: AtomicU16,
}

impl<'h, C> StatusRecorder<'h, C> {
    fn new(http: &'h C) -> Self {
        StatusRecorder {
            http,
            status: AtomicU16::new(0),
        }
    }

    fn status(&self) -> u16 {
        self.status.load(Ordering::Relaxed)
    }
}

impl<'c, C> AsyncHttpClient<'c> for StatusRecorder<'_, C>
where
    C: AsyncHttpClient<'c>,
{
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, C::Error>> + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let call = self.http.call(request);
        Box::pin(async move {
            let response = call.await;
            if let Ok(response) = &response {
                self.status
                    .store(response.status().as_u16(), Ordering::Relaxed);
            }
            response
        })
    }
}

fn token_error<RE>(error: RequestTokenError<RE, BasicErrorResponse>, status: u16) -> TokenError
where
    RE: std::error::Error + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => TokenError::Provider {
            error: response.error().to_string(),
            description: response.error_description().cloned(),
            uri: response.error_uri().cloned(),
        },
        RequestTokenError::Request(source) => TokenError::Http(Box::new(source)),
        // The second field is the raw body: dropped on purpose.
        RequestTokenError::Parse(_, _) | RequestTokenError::Other(_)
            if status != 200 && status != 0 =>
        {
            TokenError::Status { status }
        }
        RequestTokenError::Parse(source, _body) => TokenError::Malformed {
            path: source.path().to_string(),
            source: JsonShapeError::new(source.inner()),
        },
        RequestTokenError::Other(reason) => TokenError::Unexpected { reason },
    }
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
                    "a value has the wrong type or format".to_owned()
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

/// OIDC Core 3.1.3.3 (and RFC 6749 5.1 for refreshes): an access token of type Bearer. The ID token is
/// required by the caller that needs one.
fn check_bearer(response: OidcTokenResponse) -> Result<RefreshResponse, TokenError> {
    // RFC 6749 5.1: token_type "value is case insensitive"; oauth2 lower-cases it before matching, so "Bearer",
    // "bearer" and "BEARER" all arrive here as `BasicTokenType::Bearer`. OIDC Core 3.1.3.3: it "MUST be Bearer".
    match response.token_type() {
        BasicTokenType::Bearer => {}
        other => {
            return Err(TokenError::NotBearer {
                token_type: other.as_ref().to_owned(),
            });
        }
    }
    if response.access_token().secret().is_empty() {
        return Err(TokenError::MissingAccessToken);
    }
    Ok(RefreshResponse {
        access_token: AccessToken::new(response.access_token().secret().to_owned()),
        id_token: response
            .extra_fields()
            .id_token
            .clone()
            .filter(|token| !token.secret().is_empty()),
        refresh_token: response
            .refresh_token()
            .map(|token| token.secret().to_owned())
            .filter(|token| !token.is_empty())
            .map(RefreshToken::new),
        expires_in: response.expires_in().map(|duration| duration.as_secs()),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::testing::{FakeHttpError, config, metadata, respond};
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
            } => {
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
                matches!(error, TokenError::Status { status: 500 }),
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
            matches!(error, TokenError::Status { status: 502 }),
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
        assert!(matches!(error, TokenError::Unexpected { .. }), "{error:?}");
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
        assert!(matches!(&error, TokenError::NotBearer { token_type } if token_type == "mac"));
        let error = exchange(
            200,
            JSON,
            r#"{"access_token":"at-secret","token_type":"DPoP","id_token":"h.c.s"}"#,
        )
        .unwrap_err();
        assert!(matches!(error, TokenError::NotBearer { .. }));
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
            matches!(&error, TokenError::Malformed { path, .. } if path == "."),
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
        // serde would say `invalid type: string "rt-secret", expected u64`; the chain must not.
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
            "the token response is malformed (at `expires_in`): a value has the wrong type or format at line 1 column 86"
        );
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
            respond(status, JSON, body)
        };
        block_on(refresh_tokens(
            &client,
            &config(),
            &metadata(),
            &RefreshToken::new("rt-old".into()),
        ))
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
            Err(TokenError::NotBearer { .. })
        ));
        assert!(matches!(
            refresh(502, "<html>bad gateway</html>"),
            Err(TokenError::Status { status: 502 })
        ));
    }
}
