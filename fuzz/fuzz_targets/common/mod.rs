//! Fixed inputs shared by the fuzz targets: a configuration, provider metadata and a pending sign-in, all built
//! through the crate's own parsers so the targets exercise exactly what the app runs. Nothing here is fuzzed.

#![allow(dead_code)] // Each target uses a different subset.

use url::Url;
use oidc_spa_core::{
    Config, Nonce, PendingSignIn, PkceVerifier, ProviderMetadata, State, parse_metadata,
};

pub const ISSUER: &str = "https://id.example";
pub const CLIENT_ID: &str = "spa";
pub const APP_BASE: &str = "https://app.example/";
pub const REDIRECT_URI: &str = "https://app.example/callback";
/// 2023-11-14T22:13:20Z.
pub const NOW: u64 = 1_700_000_000;
pub const LEEWAY: u64 = 60;
/// The pending record's state and nonce; the seed inputs carry them so the fuzzer starts past the lookups.
pub const STATE: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
pub const NONCE: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";
const VERIFIER: &str = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM";

/// The `alg` names of the accepted algorithms (RFC 7518 3.1, RFC 8037), for trying each against a key set.
pub const ALG_NAMES: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

pub fn app_base() -> Url {
    Url::parse(APP_BASE).expect("fixed base URL")
}

pub fn config() -> Config {
    Config::from_json(
        &format!(r#"{{"issuer": "{ISSUER}", "client_id": "{CLIENT_ID}"}}"#),
        &app_base(),
    )
    .expect("fixed configuration")
}

/// Pared down from a Keycloak discovery document; `iss_parameter` sets RFC 9207 support.
pub fn metadata(iss_parameter: bool) -> ProviderMetadata {
    let json = format!(
        r#"{{
            "issuer": "{ISSUER}",
            "authorization_endpoint": "{ISSUER}/protocol/openid-connect/auth",
            "token_endpoint": "{ISSUER}/protocol/openid-connect/token",
            "userinfo_endpoint": "{ISSUER}/protocol/openid-connect/userinfo",
            "end_session_endpoint": "{ISSUER}/protocol/openid-connect/logout",
            "jwks_uri": "{ISSUER}/protocol/openid-connect/certs",
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "authorization_response_iss_parameter_supported": {iss_parameter}
        }}"#
    );
    parse_metadata(json.as_bytes(), ISSUER).expect("fixed metadata")
}

/// The record `authorization_request` would have left for [`config`] at [`NOW`].
pub fn pending() -> PendingSignIn {
    PendingSignIn {
        state: State::new(STATE.into()),
        nonce: Nonce::new(NONCE.into()),
        verifier: PkceVerifier::new(VERIFIER.into()),
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        redirect_uri: REDIRECT_URI.into(),
        return_to: "/".into(),
        created_at: NOW,
        max_age: None,
        dpop_key_id: None,
        acr_values: None,
    }
}
