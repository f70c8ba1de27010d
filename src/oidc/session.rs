//! The signed-in session: tokens, absolute expiry, validated claims, granted scopes and the name to show. Built
//! only from already validated parts; must not store itself or read the clock (the caller passes `now`).

use serde::{Deserialize, Serialize};

use super::config::Config;
use super::id_token::IdTokenClaims;
use super::renewal::Consumed;
use super::secret::{AccessToken, IdToken, RefreshToken};
use super::token::TokenResponse;
use super::userinfo::UserInfo;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub access_token: AccessToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// Kept as `id_token_hint` for provider sign-out (RP-Initiated Logout 1.0 section 2).
    pub id_token: IdToken,
    pub claims: IdTokenClaims,
    /// Unix seconds at which the access token stops being usable.
    pub expires_at: u64,
    pub scopes: Vec<String>,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Unix second of the last successful refresh, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_at: Option<u64>,
    /// Unix second the current access token arrived (its lifetime is `expires_at - obtained_at`).
    #[serde(default)]
    pub obtained_at: u64,
    /// The refresh tokens this session used up by rotation, newest last, as fingerprints and channel keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumed: Vec<Consumed>,
}

impl Session {
    /// `claims` must come from `validate_claims` on `tokens.id_token`; `userinfo` from `fetch_userinfo` (its `sub`
    /// is checked again here: a mismatching one is ignored, OIDC Core 5.3.2).
    pub fn new(
        tokens: TokenResponse,
        claims: IdTokenClaims,
        userinfo: Option<&UserInfo>,
        config: &Config,
        now: u64,
    ) -> Session {
        // RFC 6749 5.1: expires_in is "the lifetime in seconds of the access token", relative to the response. When
        // it is absent we fall back on the ID token's exp rather than guessing a lifetime.
        let expires_at = match tokens.expires_in {
            Some(lifetime) => now.saturating_add(lifetime),
            None => claims.exp,
        };
        // RFC 6749 5.1: scope is "OPTIONAL, if identical to the scope requested by the client".
        let scopes = match tokens.scopes {
            Some(scopes) if !scopes.is_empty() => scopes,
            _ => config.scope.split_whitespace().map(str::to_owned).collect(),
        };
        let userinfo = userinfo.filter(|info| info.sub == claims.sub);
        let display_name = display_name(&claims, userinfo);
        Session {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            id_token: tokens.id_token,
            claims,
            expires_at,
            scopes,
            display_name,
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            renewed_at: None,
            obtained_at: now,
            consumed: Vec::new(),
        }
    }

    /// True from the expiry second on.
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// Whether the ID token lacks a `name`, so the UserInfo endpoint is worth asking (OIDC Core 5.4: with the
    /// `profile` scope, providers may put the claims in the UserInfo response only).
    pub fn needs_userinfo(claims: &IdTokenClaims) -> bool {
        non_empty(claims.name.as_deref()).is_none()
    }
}

/// `name` (ID token, then UserInfo), then `preferred_username` (same order), then `sub`.
fn display_name(claims: &IdTokenClaims, userinfo: Option<&UserInfo>) -> String {
    let from_userinfo = |field: fn(&UserInfo) -> Option<&str>| userinfo.and_then(field);
    non_empty(claims.name.as_deref())
        .or_else(|| non_empty(from_userinfo(|info| info.name.as_deref())))
        .or_else(|| non_empty(claims.preferred_username.as_deref()))
        .or_else(|| non_empty(from_userinfo(|info| info.preferred_username.as_deref())))
        .unwrap_or(&claims.sub)
        .to_owned()
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::testing::{NOW, config, validated_claims};

    fn tokens(expires_in: Option<u64>, scopes: Option<Vec<&str>>) -> TokenResponse {
        TokenResponse {
            access_token: AccessToken::new("at".into()),
            id_token: IdToken::new("h.c.s".into()),
            refresh_token: Some(RefreshToken::new("rt".into())),
            expires_in,
            scopes: scopes.map(|scopes| scopes.into_iter().map(str::to_owned).collect()),
        }
    }

    fn userinfo(sub: &str, name: Option<&str>, username: Option<&str>) -> UserInfo {
        UserInfo {
            sub: sub.into(),
            name: name.map(str::to_owned),
            preferred_username: username.map(str::to_owned),
            email: None,
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn expiry_comes_from_expires_in_else_the_id_token() {
        let session = Session::new(
            tokens(Some(300), None),
            validated_claims(),
            None,
            &config(),
            NOW,
        );
        assert_eq!(session.expires_at, NOW + 300);
        assert!(!session.is_expired(NOW + 299));
        assert!(session.is_expired(NOW + 300));
        assert!(session.is_expired(NOW + 301));

        let claims = validated_claims();
        let exp = claims.exp;
        let session = Session::new(tokens(None, None), claims, None, &config(), NOW);
        assert_eq!(session.expires_at, exp);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn scopes_come_from_the_response_else_the_request() {
        let granted = Session::new(
            tokens(None, Some(vec!["openid", "email"])),
            validated_claims(),
            None,
            &config(),
            NOW,
        );
        assert_eq!(granted.scopes, ["openid", "email"]);
        let requested = Session::new(tokens(None, None), validated_claims(), None, &config(), NOW);
        assert_eq!(requested.scopes, ["openid", "profile", "email"]);
        assert_eq!(requested.issuer, config().issuer);
        assert_eq!(requested.client_id, "spa");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn display_name_prefers_name_then_username_then_sub() {
        let name_of = |name: Option<&str>, username: Option<&str>, info: Option<&UserInfo>| {
            let mut claims = validated_claims();
            claims.name = name.map(str::to_owned);
            claims.preferred_username = username.map(str::to_owned);
            Session::new(tokens(None, None), claims, info, &config(), NOW).display_name
        };
        let info = userinfo("user-1", Some("Info Name"), Some("info-user"));
        assert_eq!(
            name_of(Some("Token Name"), Some("tok"), Some(&info)),
            "Token Name"
        );
        assert_eq!(name_of(None, Some("tok"), Some(&info)), "Info Name");
        assert_eq!(name_of(Some(" "), Some("tok"), None), "tok");
        let no_name = userinfo("user-1", None, Some("info-user"));
        assert_eq!(name_of(None, Some("tok"), Some(&no_name)), "tok");
        assert_eq!(name_of(None, None, Some(&no_name)), "info-user");
        assert_eq!(name_of(None, None, None), "user-1");
        // OIDC Core 5.3.2: UserInfo about someone else is never used.
        let other = userinfo("user-2", Some("Mallory"), None);
        assert_eq!(name_of(None, None, Some(&other)), "user-1");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn needs_userinfo_only_without_a_name() {
        let mut claims = validated_claims();
        assert!(!Session::needs_userinfo(&claims));
        claims.name = None;
        assert!(Session::needs_userinfo(&claims));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn session_round_trips_and_debug_hides_tokens() {
        let session = Session::new(
            tokens(Some(60), None),
            validated_claims(),
            None,
            &config(),
            NOW,
        );
        let stored = serde_json::to_string(&session).unwrap();
        let back: Session = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, session);
        let debug = format!("{session:?}");
        assert!(
            !debug.contains("\"at\"") && !debug.contains("h.c.s") && !debug.contains("\"rt\""),
            "{debug}"
        );
    }
}
