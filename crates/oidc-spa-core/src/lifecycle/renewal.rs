//! When to renew a session and what a renewal changes (RFC 6749 6, RFC 9700 4.14.2, OIDC Core 12.2). Pure
//! decisions over a `Session`, `now` and a margin; timers, locks and requests belong to the caller.

use crate::keys::id_token::IdTokenClaims;
pub use crate::lifecycle::lineage::{Consumed, channel_key, fingerprint};
use crate::lifecycle::session::{MAX_ACCESS_TOKEN_LIFETIME_SECONDS, Session, bounded_expiry};
use crate::secret::RefreshToken;
use crate::sign_in::token::RefreshResponse;

/// What to do about a session at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Use the refresh token now.
    Renew,
    /// Nothing to do before this Unix second; then ask again.
    WaitUntil(u64),
    /// No refresh token: the session ends at this Unix second.
    EndAt(u64),
    /// The refresh token's time is up ([`renewal_deadline`]) without a successful renewal: the session has ended.
    Lapsed,
}

/// Never renew sooner than this after the last tokens arrived, whatever the provider's lifetimes: the retry floor.
pub use crate::lifecycle::fault::MIN_RENEW_INTERVAL_SECONDS;

/// How many consumed refresh-token fingerprints a session remembers for tabs that still hold one.
pub const LINEAGE: usize = 8;

/// Renew `margin` seconds before the access token expires, but no earlier than halfway through its lifetime
/// (a margin as long as the lifetime would otherwise renew again the moment new tokens arrive), and never
/// within `MIN_RENEW_INTERVAL_SECONDS` of the last tokens. Without a refresh token, end at expiry. An expired
/// access token with a refresh token is renewed at once: the refresh token may outlive it.
pub fn plan(session: &Session, now: u64, margin: u64) -> Plan {
    if session.refresh_token.is_none() {
        return Plan::EndAt(session.expires_at);
    }
    let deadline = renewal_deadline(session);
    if now >= deadline {
        return Plan::Lapsed;
    }
    let lifetime = session.expires_at.saturating_sub(session.obtained_at);
    // A refresh token that ends before the access token (a short `refresh_expires_in`) is used the margin before
    // it ends, not lost while the access token still looks fine.
    let renew_at = session
        .expires_at
        .min(deadline)
        .saturating_sub(margin.min(lifetime / 2))
        .max(
            session
                .obtained_at
                .saturating_add(MIN_RENEW_INTERVAL_SECONDS),
        );
    if now >= renew_at {
        Plan::Renew
    } else {
        Plan::WaitUntil(renew_at)
    }
}

/// The absolute limit of a session with a refresh token: a day ([`MAX_ACCESS_TOKEN_LIFETIME_SECONDS`]) after its
/// last tokens arrived, or the end of the refresh token's stated lifetime if that comes first. Until then an expired
/// access token is a session waiting to renew (the provider may be down, the laptop asleep, the browser offline);
/// after it, the session ends rather than show an identity nobody has re-checked for that long.
pub fn renewal_deadline(session: &Session) -> u64 {
    // `obtained_at` is absent (0) in a session stored before it existed; the ID token's `iat` stands in.
    let last = session.obtained_at.max(session.claims.iat);
    let day = last.saturating_add(MAX_ACCESS_TOKEN_LIFETIME_SECONDS);
    session.refresh_expires_at.map_or(day, |at| at.min(day))
}

/// The least time an access token handed to a caller has left, whatever the margin, so a request does not leave
/// with a token that expires on the way.
pub const MIN_TOKEN_VALIDITY_SECONDS: u64 = 5;

/// Whether the session's access token may be handed out at `now` without renewing first: it stays valid for the
/// renewal margin (at most half its lifetime, as in [`plan`]), and never less than [`MIN_TOKEN_VALIDITY_SECONDS`].
pub fn fresh_enough(session: &Session, now: u64, margin: u64) -> bool {
    let lifetime = session.expires_at.saturating_sub(session.obtained_at);
    let needed = margin.min(lifetime / 2).max(MIN_TOKEN_VALIDITY_SECONDS);
    session.expires_at.saturating_sub(now) >= needed && now < session.expires_at
}

/// The refresh token that replaces `sent`, if the response rotated it away (RFC 9700 4.14.2). RFC 6749 6 lets the
/// server issue a new refresh token or not, and many return the very token they were sent: only a different one is
/// a rotation, and only a rotation uses the old one up.
pub fn rotation<'a>(
    sent: &RefreshToken,
    response: &'a RefreshResponse,
) -> Option<&'a RefreshToken> {
    response.refresh_token.as_ref().filter(|new| *new != sent)
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
        // RFC 6749 5.1: without `expires_in`, the new ID token's `exp`, else the previous lifetime again.
        let stated = match (response.expires_in, &claims) {
            (Some(lifetime), _) => now.saturating_add(lifetime),
            (None, Some(claims)) => claims.exp,
            (None, None) => now.saturating_add(self.expires_at.saturating_sub(self.obtained_at)),
        };
        let id_token_exp = claims.as_ref().unwrap_or(&self.claims).exp;
        // A stated lifetime belongs to the refresh token this response leaves in place; without one, the last
        // stated limit stays (a rotated token does not outlive its grant).
        let refresh_expires_at = response
            .refresh_expires_in
            .map(|lifetime| now.saturating_add(lifetime))
            .or(self.refresh_expires_at);
        let has_refresh_token = response.refresh_token.is_some() || self.refresh_token.is_some();
        let expires_at = bounded_expiry(now, stated, id_token_exp, has_refresh_token);
        // A rotated refresh token is used up: remember its fingerprint, so a tab that still holds it can ask
        // for its successor instead of presenting it again.
        let mut consumed = self.consumed.clone();
        if let Some(old) = self
            .refresh_token
            .as_ref()
            .filter(|old| rotation(old, &response).is_some())
        {
            consumed.push(Consumed::of(old));
            let excess = consumed.len().saturating_sub(LINEAGE);
            consumed.drain(..excess);
        }
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
            obtained_at: now,
            consumed,
            refresh_expires_at,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{AccessToken, IdToken, RefreshToken};
    use crate::testing::{NOW, validated_claims};

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
            obtained_at: NOW,
            consumed: Vec::new(),
            dpop_key_id: None,
            refresh_expires_at: None,
        }
    }

    fn response(refresh: Option<&str>) -> RefreshResponse {
        RefreshResponse {
            access_token: AccessToken::new("at-2".into()),
            token_type: "Bearer".into(),
            id_token: None,
            refresh_token: refresh.map(|token| RefreshToken::new(token.into())),
            expires_in: Some(600),
            scopes: None,
            refresh_expires_in: None,
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
    fn a_margin_longer_than_the_lifetime_renews_halfway_not_at_once() {
        let mut short = session(Some("rt"));
        short.expires_at = NOW + 20;
        // A 60 s margin on a 20 s token: renew at 10 s, not immediately (and not again and again).
        assert_eq!(plan(&short, NOW, 60), Plan::WaitUntil(NOW + 10));
        let renewed = short.renewed(response(Some("rt-2")), None, NOW + 10);
        // The renewed token lives 600 s: back to the plain margin.
        assert_eq!(
            plan(&renewed, NOW + 10, 60),
            Plan::WaitUntil(NOW + 10 + 600 - 60)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn renewals_never_come_faster_than_the_minimum_interval() {
        let mut instant = session(Some("rt"));
        instant.expires_at = NOW;
        assert_eq!(
            plan(&instant, NOW, 60),
            Plan::WaitUntil(NOW + MIN_RENEW_INTERVAL_SECONDS)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn without_expires_in_or_an_id_token_the_previous_lifetime_applies() {
        let mut bare = response(None);
        bare.expires_in = None;
        let renewed = session(Some("rt")).renewed(bare, None, NOW + 250);
        assert_eq!(renewed.expires_at, NOW + 250 + 300);
        assert_eq!(
            plan(&renewed, NOW + 250, 60),
            Plan::WaitUntil(NOW + 250 + 240)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_rotation_remembers_the_consumed_token_and_a_kept_token_is_not_consumed() {
        let rotated = session(Some("rt-1")).renewed(response(Some("rt-2")), None, NOW);
        assert_eq!(
            rotated.consumed,
            [Consumed::of(&RefreshToken::new("rt-1".into()))]
        );
        let old = RefreshToken::new("rt-1".into());
        assert_eq!(rotated.consumed[0].fingerprint, fingerprint(&old));
        assert_eq!(rotated.consumed[0].key(), Some(channel_key(&old)));
        let kept = rotated.renewed(response(None), None, NOW + 1);
        assert_eq!(kept.consumed, rotated.consumed);
        let mut long = kept;
        for n in 0..20 {
            long = long.renewed(response(Some(&format!("rt-{n}"))), None, NOW);
        }
        assert_eq!(long.consumed.len(), LINEAGE);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_echoed_refresh_token_is_not_a_rotation_and_is_not_used_up() {
        // RFC 6749 6: a server that does not rotate may send back the token it was sent.
        let sent = RefreshToken::new("rt-1".into());
        assert!(rotation(&sent, &response(Some("rt-1"))).is_none());
        assert!(rotation(&sent, &response(None)).is_none());
        let rotated = response(Some("rt-2"));
        assert_eq!(
            rotation(&sent, &rotated).map(RefreshToken::secret),
            Some("rt-2")
        );
        // Three renewals in a row against an echoing provider: the token stays live, nothing is consumed.
        let mut held = session(Some("rt-1"));
        for n in 1..=3 {
            held = held.renewed(response(Some("rt-1")), None, NOW + n);
            assert!(
                held.consumed.is_empty(),
                "renewal {n} used up a token that is still live"
            );
            assert_eq!(held.refresh_token, Some(sent.clone()));
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_consumed_record_never_prints_its_channel_key() {
        let consumed = Consumed::of(&RefreshToken::new("rt-secret".into()));
        let printed = format!("{consumed:?}");
        assert!(printed.contains("[redacted]"), "{printed}");
        assert!(
            !printed.contains(&consumed.key),
            "the channel key leaked into Debug"
        );
        assert!(printed.contains(&consumed.fingerprint));
        let session = session(Some("rt-1")).renewed(response(Some("rt-2")), None, NOW);
        let printed = format!("{session:?}");
        assert!(!printed.contains(&session.consumed[0].key));
        assert!(
            !printed.contains("rt-1") && !printed.contains("rt-2") && !printed.contains("at-2")
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_token_is_handed_out_only_with_the_margin_left() {
        // 300 s lifetime, 60 s margin: fresh until 60 s before expiry.
        let held = session(Some("rt"));
        assert!(fresh_enough(&held, NOW, 60));
        assert!(fresh_enough(&held, NOW + 240, 60));
        assert!(!fresh_enough(&held, NOW + 241, 60));
        assert!(!fresh_enough(&held, NOW + 300, 60));
        assert!(!fresh_enough(&held, NOW + 10_000, 60));
        // A margin longer than the lifetime asks for half of it; no margin still keeps a few seconds.
        assert!(fresh_enough(&held, NOW + 150, 1_000));
        assert!(!fresh_enough(&held, NOW + 151, 1_000));
        assert!(fresh_enough(&held, NOW + 295, 0));
        assert!(!fresh_enough(&held, NOW + 296, 0));
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
    fn a_huge_lifetime_from_a_refresh_is_capped_so_the_next_renewal_comes_within_a_day() {
        use crate::lifecycle::session::MAX_ACCESS_TOKEN_LIFETIME_SECONDS as DAY;
        let ten_years = 10 * 365 * 24 * 60 * 60;
        let mut huge = response(Some("rt-2"));
        huge.expires_in = Some(ten_years);
        let renewed = session(Some("rt-1")).renewed(huge, None, NOW + 250);
        assert_eq!(renewed.expires_at, NOW + 250 + DAY);
        assert_eq!(
            plan(&renewed, NOW + 250, 60),
            Plan::WaitUntil(NOW + 250 + DAY - 60)
        );
        // Also when the response keeps the old refresh token, and when only a new ID token's exp is stated.
        let mut kept = response(None);
        kept.expires_in = Some(ten_years);
        let renewed = session(Some("rt-1")).renewed(kept, None, NOW);
        assert_eq!(renewed.expires_at, NOW + DAY);
        let mut claims = validated_claims();
        claims.exp = NOW + ten_years;
        let mut by_exp = response(None);
        by_exp.expires_in = None;
        by_exp.id_token = Some(IdToken::new("h2.c2.s2".into()));
        let renewed = session(Some("rt-1")).renewed(by_exp, Some(claims), NOW);
        assert_eq!(renewed.expires_at, NOW + DAY);
        // An ordinary lifetime is untouched.
        let renewed = session(Some("rt-1")).renewed(response(Some("rt-2")), None, NOW);
        assert_eq!(renewed.expires_at, NOW + 600);
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
    fn an_expired_access_token_waits_to_renew_until_the_absolute_limit() {
        use crate::lifecycle::session::MAX_ACCESS_TOKEN_LIFETIME_SECONDS as DAY;
        let held = session(Some("rt"));
        assert_eq!(renewal_deadline(&held), NOW + DAY);
        // Hours past the access token's expiry (an outage, a sleeping laptop): still a session to renew.
        assert_eq!(plan(&held, NOW + 3 * 3600, 60), Plan::Renew);
        assert_eq!(plan(&held, NOW + DAY - 1, 60), Plan::Renew);
        // A day without a successful renewal: over.
        assert_eq!(plan(&held, NOW + DAY, 60), Plan::Lapsed);
        // A shorter stated refresh-token lifetime ends it sooner; a longer one does not stretch the day.
        let mut stated = held.clone();
        stated.refresh_expires_at = Some(NOW + 1_800);
        assert_eq!(plan(&stated, NOW + 1_799, 60), Plan::Renew);
        // One that ends before the access token is used the margin before it ends.
        stated.refresh_expires_at = Some(NOW + 200);
        assert_eq!(plan(&stated, NOW, 60), Plan::WaitUntil(NOW + 140));
        stated.refresh_expires_at = Some(NOW + 1_800);
        assert_eq!(plan(&stated, NOW + 1_800, 60), Plan::Lapsed);
        stated.refresh_expires_at = Some(NOW + 10 * DAY);
        assert_eq!(renewal_deadline(&stated), NOW + DAY);
        // A successful renewal moves the limit; one that states a lifetime sets it.
        let mut answer = response(Some("rt-2"));
        answer.refresh_expires_in = Some(900);
        let renewed = held.renewed(answer, None, NOW + 100);
        assert_eq!(renewed.refresh_expires_at, Some(NOW + 1_000));
        assert_eq!(renewal_deadline(&renewed), NOW + 1_000);
        let again = renewed.renewed(response(Some("rt-3")), None, NOW + 200);
        assert_eq!(again.refresh_expires_at, Some(NOW + 1_000));
        // Without a refresh token nothing waits: the session ends at expiry.
        assert_eq!(plan(&session(None), NOW + DAY, 60), Plan::EndAt(NOW + 300));
    }
}
