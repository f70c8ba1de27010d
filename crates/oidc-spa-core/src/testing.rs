//! Shared test fixtures for `src/oidc`: a Keycloak-like provider, a fixed clock, fixed randomness, JWT builders and a
//! fake HTTP response. Test-only; must not be used by non-test code.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::HttpResponse;
use oauth2::http::{self, header};
use serde_json::{Value, json};
use url::Url;

use crate::keys::id_token::{Expectations, IdTokenClaims, decode, validate_claims};
use crate::provider::config::Config;
use crate::provider::discovery::{ProviderMetadata, parse_metadata};
use crate::secret::{IdToken, Nonce, PkceVerifier, State};
use crate::sign_in::authorize::PendingSignIn;

pub const ISSUER: &str = "https://id.example/realms/demo";
pub const CLIENT_ID: &str = "spa";
/// 2023-11-14T22:13:20Z.
pub const NOW: u64 = 1_700_000_000;
/// The state, nonce and verifier `counting_random` yields (32 × 0x01, 0x02, 0x03).
pub const STATE: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
pub const NONCE: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";
pub const VERIFIER: &str = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM";

pub fn config() -> Config {
    Config::from_json(
        &format!(r#"{{"issuer": "{ISSUER}", "client_id": "{CLIENT_ID}"}}"#),
        &Url::parse("https://app.example/").unwrap(),
    )
    .unwrap()
}

/// A configuration of the client `spa` at `https://id.example`, for the app at `https://app.example/`, with `extra`
/// (`, "field": value, …`) added to its JSON: for tests of one field at a time.
pub fn config_with(extra: &str) -> Result<Config, crate::provider::config::ConfigError> {
    Config::from_json(
        &format!(r#"{{"issuer": "https://id.example", "client_id": "spa"{extra}}}"#),
        &Url::parse("https://app.example/").unwrap(),
    )
}

/// Pared down from a real Keycloak 26 discovery document.
pub fn metadata_json() -> String {
    json!({
        "issuer": ISSUER,
        "authorization_endpoint": format!("{ISSUER}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{ISSUER}/protocol/openid-connect/token"),
        "introspection_endpoint": format!("{ISSUER}/protocol/openid-connect/token/introspect"),
        "userinfo_endpoint": format!("{ISSUER}/protocol/openid-connect/userinfo"),
        "end_session_endpoint": format!("{ISSUER}/protocol/openid-connect/logout"),
        "frontchannel_logout_session_supported": true,
        "jwks_uri": format!("{ISSUER}/protocol/openid-connect/certs"),
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "revocation_endpoint": format!("{ISSUER}/protocol/openid-connect/revoke"),
        "authorization_response_iss_parameter_supported": true
    })
    .to_string()
}

pub fn metadata() -> ProviderMetadata {
    parse_metadata(metadata_json().as_bytes(), ISSUER).unwrap()
}

/// Fills the n-th buffer with the byte n (1, 2, 3, ...).
pub fn counting_random() -> impl FnMut(&mut [u8]) {
    let mut calls = 0u8;
    move |buf: &mut [u8]| {
        calls = calls.wrapping_add(1);
        buf.fill(calls);
    }
}

/// The record `authorization_request` leaves for the fixture config at `NOW` with `counting_random`.
pub fn pending() -> PendingSignIn {
    PendingSignIn {
        state: State::new(STATE.into()),
        nonce: Nonce::new(NONCE.into()),
        verifier: PkceVerifier::new(VERIFIER.into()),
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        redirect_uri: "https://app.example/callback".into(),
        return_to: "/".into(),
        created_at: NOW,
        max_age: None,
        dpop_key_id: None,
        acr_values: None,
    }
}

/// A compact JWS from a header, claims and raw signature bytes.
pub fn jwt(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Claims that pass every check at `NOW` for the fixture config and `NONCE`.
pub fn valid_claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "user-1",
        "aud": CLIENT_ID,
        "exp": NOW + 300,
        "iat": NOW - 5,
        "auth_time": NOW - 10,
        "nonce": NONCE,
        "name": "Ada Lovelace",
        "preferred_username": "ada",
        "email": "ada@example.com",
        "email_verified": true
    })
}

/// An RS256-headed ID token with a dummy signature.
pub fn id_token(claims: &Value) -> IdToken {
    IdToken::new(jwt(
        &json!({"alg": "RS256", "kid": "key-1", "typ": "JWT"}),
        claims,
        b"sig",
    ))
}

pub fn validated_claims() -> IdTokenClaims {
    let nonce = Nonce::new(NONCE.into());
    let expected = Expectations {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        trusted_audiences: &[],
        nonce: &nonce,
        now: NOW,
        leeway: 60,
        max_age: None,
        acr_values: None,
    };
    validate_claims(&decode(&id_token(&valid_claims())).unwrap(), &expected).unwrap()
}

#[derive(Debug)]
pub struct FakeHttpError;

impl std::fmt::Display for FakeHttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("network down")
    }
}

impl std::error::Error for FakeHttpError {}

/// A ready response, as a fake `AsyncHttpClient` returns it.
pub fn respond(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> std::future::Ready<Result<HttpResponse, FakeHttpError>> {
    let mut builder = http::Response::builder().status(status);
    if let Some(content_type) = content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    std::future::ready(Ok(builder.body(body.as_bytes().to_vec()).unwrap()))
}

/// A signed-in session of the fixture issuer and client, holding refresh token `refresh` and access token `access`.
/// For the tests of the auth layer (its browser tests put it in sessionStorage).
pub fn stored_session(refresh: &str, access: &str) -> crate::lifecycle::session::Session {
    use crate::secret::{AccessToken, IdToken, RefreshToken};
    crate::lifecycle::session::Session {
        access_token: AccessToken::new(access.into()),
        refresh_token: Some(RefreshToken::new(refresh.into())),
        id_token: IdToken::new("h.c.s".into()),
        claims: validated_claims(),
        expires_at: NOW + 300,
        scopes: vec!["openid".into()],
        display_name: "Alice".into(),
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        renewed_at: None,
        obtained_at: NOW,
        consumed: Vec::new(),
        dpop_key_id: None,
        refresh_expires_at: None,
    }
}
