//! Shared test fixtures for `src/oidc`: a Keycloak-like provider, a fixed clock, fixed randomness, JWT builders and a
//! fake HTTP response. Test-only; must not be used by non-test code.

use serde_json::json;

pub const ISSUER: &str = "https://id.example/realms/demo";

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
