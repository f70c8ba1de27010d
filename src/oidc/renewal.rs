//! When to renew a session and what a renewal changes (RFC 6749 6, RFC 9700 4.14.2, OIDC Core 12.2). Pure
//! decisions over a `Session`, `now` and a margin; timers, locks and requests belong to the caller.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::id_token::IdTokenClaims;
use super::secret::RefreshToken;
use super::session::Session;
use super::token::RefreshResponse;

/// What to do about a session at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Use the refresh token now.
    Renew,
    /// Nothing to do before this Unix second; then ask again.
    WaitUntil(u64),
    /// No refresh token: the session ends at this Unix second.
    EndAt(u64),
}

/// Renew `margin` seconds before the access token expires; without a refresh token, end at expiry. An
/// expired access token with a refresh token is renewed at once: the refresh token may outlive it.
pub fn plan(session: &Session, now: u64, margin: u64) -> Plan {
    if session.refresh_token.is_none() {
        return Plan::EndAt(session.expires_at);
    }
    let renew_at = session.expires_at.saturating_sub(margin);
    if now >= renew_at {
        Plan::Renew
    } else {
        Plan::WaitUntil(renew_at)
    }
}

/// A name for a refresh token that tabs can share without sharing the token: SHA-256, base64url.
pub fn fingerprint(token: &RefreshToken) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.secret().as_bytes()))
}

/// Seconds to wait before retry number `attempt` (0-based) after a network failure: 1, 2, 4, … capped at 30.
pub fn retry_delay(attempt: u32) -> u64 {
    1u64.checked_shl(attempt).unwrap_or(u64::MAX).min(30)
}

impl Session {
    /// The session after a successful refresh. `claims` are the refreshed ID token's, already checked against
    /// the original with `validate_refreshed_claims`.
    ///
    /// The newest refresh token always wins (rotation, RFC 9700 4.14.2); a response without one leaves the old
    /// one in place (RFC 6749 6: the server "MAY issue a new refresh token"), so the session does not die.
    pub fn renewed(
        &self,
        response: RefreshResponse,
        claims: Option<IdTokenClaims>,
        now: u64,
    ) -> Session {
        let expires_at = match (response.expires_in, &claims) {
            (Some(lifetime), _) => now.saturating_add(lifetime),
            (None, Some(claims)) => claims.exp,
            (None, None) => self.expires_at,
        };
        let display_name = match claims.as_ref().and_then(|claims| claims.name.as_deref()) {
            Some(name) if !name.trim().is_empty() => name.to_owned(),
            _ => self.display_name.clone(),
        };
        Session {
            access_token: response.access_token,
            refresh_token: response
                .refresh_token
                .or_else(|| self.refresh_token.clone()),
            id_token: response.id_token.unwrap_or_else(|| self.id_token.clone()),
            claims: claims.unwrap_or_else(|| self.claims.clone()),
            expires_at,
            scopes: match response.scopes {
                Some(scopes) if !scopes.is_empty() => scopes,
                _ => self.scopes.clone(),
            },
            display_name,
            renewed_at: Some(now),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::secret::{AccessToken, IdToken, RefreshToken};
    use crate::oidc::testing::{NOW, validated_claims};

    fn session(refresh: Option<&str>) -> Session {
        Session {
            access_token: AccessToken::new("at-1".into()),
            refresh_token: refresh.map(|token| RefreshToken::new(token.into())),
            id_token: IdToken::new("h.c.s".into()),
            claims: validated_claims(),
            expires_at: NOW + 300,
            scopes: vec!["openid".into(), "profile".into()],
            display_name: "Alice".into(),
            issuer: "https://id.example".into(),
            client_id: "spa".into(),
            renewed_at: None,
        }
    }

    fn response(refresh: Option<&str>) -> RefreshResponse {
        RefreshResponse {
            access_token: AccessToken::new("at-2".into()),
            id_token: None,
            refresh_token: refresh.map(|token| RefreshToken::new(token.into())),
            expires_in: Some(600),
            scopes: None,
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn renews_within_the_margin_and_waits_before_it() {
        let held = session(Some("rt"));
        assert_eq!(plan(&held, NOW, 60), Plan::WaitUntil(NOW + 240));
        assert_eq!(plan(&held, NOW + 239, 60), Plan::WaitUntil(NOW + 240));
        assert_eq!(plan(&held, NOW + 240, 60), Plan::Renew);
        // Already expired: the refresh token may still work.
        assert_eq!(plan(&held, NOW + 1_000, 60), Plan::Renew);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn without_a_refresh_token_the_session_ends_at_expiry() {
        assert_eq!(plan(&session(None), NOW + 290, 60), Plan::EndAt(NOW + 300));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_rotated_refresh_token_replaces_the_old_one() {
        let renewed = session(Some("rt-1")).renewed(response(Some("rt-2")), None, NOW + 250);
        assert_eq!(
            renewed.refresh_token.as_ref().map(RefreshToken::secret),
            Some("rt-2")
        );
        assert_eq!(renewed.access_token.secret(), "at-2");
        assert_eq!(renewed.expires_at, NOW + 850);
        assert_eq!(renewed.renewed_at, Some(NOW + 250));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_response_without_a_refresh_token_keeps_the_old_one() {
        let renewed = session(Some("rt-1")).renewed(response(None), None, NOW);
        assert_eq!(
            renewed.refresh_token.as_ref().map(RefreshToken::secret),
            Some("rt-1")
        );
        // No new ID token: the original one stays as the logout hint, and its claims stay.
        assert_eq!(renewed.id_token.secret(), "h.c.s");
        assert_eq!(renewed.claims, validated_claims());
        assert_eq!(renewed.scopes, ["openid", "profile"]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_new_id_token_replaces_the_hint_and_the_claims() {
        let mut claims = validated_claims();
        claims.iat = NOW + 10;
        let mut refreshed = response(None);
        refreshed.id_token = Some(IdToken::new("h2.c2.s2".into()));
        refreshed.expires_in = None;
        let renewed = session(Some("rt")).renewed(refreshed, Some(claims.clone()), NOW + 10);
        assert_eq!(renewed.id_token.secret(), "h2.c2.s2");
        assert_eq!(renewed.claims, claims);
        // Without expires_in the new ID token's exp bounds the session.
        assert_eq!(renewed.expires_at, claims.exp);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fingerprints_name_a_token_without_revealing_it() {
        let token = RefreshToken::new("rt-secret".into());
        let print = fingerprint(&token);
        assert_eq!(print.len(), 43);
        assert!(!print.contains("rt-secret"));
        assert_eq!(print, fingerprint(&RefreshToken::new("rt-secret".into())));
        assert_ne!(print, fingerprint(&RefreshToken::new("rt-other".into())));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn retries_back_off_up_to_thirty_seconds() {
        let delays: Vec<u64> = (0..7).map(retry_delay).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(retry_delay(200), 30);
    }
}
