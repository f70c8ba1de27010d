//! The signed-in session: tokens, absolute expiry, validated claims, granted scopes and the name to show. Built
//! only from already validated parts; must not store itself or read the clock (the caller passes `now`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::keys::id_token::IdTokenClaims;
use crate::lifecycle::lineage::Consumed;
use crate::provider::config::Config;
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::sign_in::token::TokenResponse;
use crate::sign_in::userinfo::UserInfo;
use crate::stored::{FromJson, list, number, text};

/// The longest the app relies on one access token before renewing it, whatever the provider's `expires_in` (or,
/// without one, the ID token's `exp`) says: a day, the longest default lifetime of the common providers (Auth0's
/// 86,400 s). RFC 6749 5.1 makes `expires_in` the provider's word, but a provider sending milliseconds, or a
/// hostile one, would otherwise postpone the next renewal, and with it every re-check of the grant, for years
/// (RFC 6819 5.1.5.3: "Use Short Expiration Time"). With a refresh token an early renewal costs one request.
pub const MAX_ACCESS_TOKEN_LIFETIME_SECONDS: u64 = 24 * 60 * 60;

/// Stored as JSON by `Serialize`; read back member by member (see the `Deserialize` impl).
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// The id of the DPoP key the tokens are bound to (RFC 9449), kept in IndexedDB; `None`: Bearer tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key_id: Option<String>,
    /// Unix second the refresh token stops being usable, when the provider stated it (`refresh_expires_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<u64>,
}

/// A stored session, read member by member from the parsed `Value` (the reader the ID token and the discovery
/// document use) rather than by a derive, whose reader of the same members was a second one in the first load. As
/// the derive did, it requires every member that has no default and refuses any member of the wrong type (`null`
/// is taken as absent).
impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let Value::Object(mut members) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("a stored session is an object"));
        };
        Session::from_members(&mut members).map_err(D::Error::custom)
    }
}

impl FromJson for Session {
    fn from_json(value: Value) -> Option<Self> {
        let Value::Object(mut members) = value else {
            return None;
        };
        Session::from_members(&mut members).ok()
    }
}

impl Session {
    /// The members [`Serialize`] wrote; `Err` names the first missing or mistyped one.
    fn from_members(members: &mut Map<String, Value>) -> Result<Session, &'static str> {
        let required = |value: Option<String>, name| value.ok_or(name);
        let claims = match members.remove("claims") {
            Some(Value::Object(claims)) => IdTokenClaims::from_stored(claims)?,
            _ => return Err("claims"),
        };
        let consumed = list(members, "consumed", |item| {
            let Value::Object(mut item) = item else {
                return None;
            };
            Some(Consumed {
                fingerprint: text(&mut item, "fingerprint").ok()??,
                key: text(&mut item, "key").ok()??,
            })
        })?;
        Ok(Session {
            access_token: AccessToken::new(required(
                text(members, "access_token")?,
                "access_token",
            )?),
            refresh_token: text(members, "refresh_token")?.map(RefreshToken::new),
            id_token: IdToken::new(required(text(members, "id_token")?, "id_token")?),
            claims,
            expires_at: number(members, "expires_at")?.ok_or("expires_at")?,
            scopes: list(members, "scopes", |item| match item {
                Value::String(scope) => Some(scope),
                _ => None,
            })?
            .ok_or("scopes")?,
            display_name: required(text(members, "display_name")?, "display_name")?,
            issuer: required(text(members, "issuer")?, "issuer")?,
            client_id: required(text(members, "client_id")?, "client_id")?,
            renewed_at: number(members, "renewed_at")?,
            obtained_at: number(members, "obtained_at")?.unwrap_or_default(),
            consumed: consumed.unwrap_or_default(),
            dpop_key_id: text(members, "dpop_key_id")?,
            refresh_expires_at: number(members, "refresh_expires_at")?,
        })
    }

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
        let stated = match tokens.expires_in {
            Some(lifetime) => now.saturating_add(lifetime),
            None => claims.exp,
        };
        let expires_at = bounded_expiry(now, stated, claims.exp, tokens.refresh_token.is_some());
        let refresh_expires_at = tokens
            .refresh_expires_in
            .map(|lifetime| now.saturating_add(lifetime));
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
            dpop_key_id: None,
            refresh_expires_at,
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

/// When tokens that arrived at `now` stop being usable, from the expiry the response `stated` (RFC 6749 5.1), bounded
/// so that no lifetime keeps a session alive, or its renewal away, for ever: without a refresh token the session
/// ends by the ID token's `exp` (nothing can renew it, and the identity it shows is not asserted beyond that); with
/// one it renews within [`MAX_ACCESS_TOKEN_LIFETIME_SECONDS`]. Neither outlives that maximum, whatever `exp` says.
/// The one rule for sign-in and renewal alike.
pub(crate) fn bounded_expiry(
    now: u64,
    stated: u64,
    id_token_exp: u64,
    has_refresh_token: bool,
) -> u64 {
    let capped = stated.min(now.saturating_add(MAX_ACCESS_TOKEN_LIFETIME_SECONDS));
    if has_refresh_token {
        capped
    } else {
        capped.min(id_token_exp)
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
    use crate::lifecycle::renewal::{Plan, plan};
    use crate::testing::{NOW, config, validated_claims};

    const TEN_YEARS: u64 = 10 * 365 * 24 * 60 * 60;

    fn tokens(expires_in: Option<u64>, scopes: Option<Vec<&str>>) -> TokenResponse {
        TokenResponse {
            access_token: AccessToken::new("at".into()),
            token_type: "Bearer".into(),
            id_token: IdToken::new("h.c.s".into()),
            refresh_token: Some(RefreshToken::new("rt".into())),
            expires_in,
            scopes: scopes.map(|scopes| scopes.into_iter().map(str::to_owned).collect()),
            refresh_expires_in: None,
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
    fn without_a_refresh_token_a_huge_expires_in_ends_at_the_id_token_exp() {
        let claims = validated_claims();
        let exp = claims.exp;
        let mut response = tokens(Some(TEN_YEARS), None);
        response.refresh_token = None;
        let session = Session::new(response, claims, None, &config(), NOW);
        assert_eq!(session.expires_at, exp);
        assert_eq!(plan(&session, NOW, 60), Plan::EndAt(exp));
        assert!(session.is_expired(exp));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn with_a_refresh_token_a_huge_lifetime_is_capped_so_renewal_comes_within_a_day() {
        let session = Session::new(
            tokens(Some(TEN_YEARS), None),
            validated_claims(),
            None,
            &config(),
            NOW,
        );
        assert_eq!(session.expires_at, NOW + MAX_ACCESS_TOKEN_LIFETIME_SECONDS);
        assert_eq!(
            plan(&session, NOW, 60),
            Plan::WaitUntil(NOW + MAX_ACCESS_TOKEN_LIFETIME_SECONDS - 60)
        );
        // Without expires_in the ID token's exp stands in, and is capped the same way.
        let mut claims = validated_claims();
        claims.exp = NOW + TEN_YEARS;
        let session = Session::new(tokens(None, None), claims, None, &config(), NOW);
        assert_eq!(session.expires_at, NOW + MAX_ACCESS_TOKEN_LIFETIME_SECONDS);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn ordinary_lifetimes_are_untouched_by_the_bounds() {
        // The bounds themselves, at their edges.
        let day = MAX_ACCESS_TOKEN_LIFETIME_SECONDS;
        assert_eq!(bounded_expiry(NOW, NOW + day, NOW + 300, true), NOW + day);
        assert_eq!(
            bounded_expiry(NOW, NOW + day + 1, NOW + 300, true),
            NOW + day
        );
        assert_eq!(bounded_expiry(NOW, NOW + 300, NOW + 300, false), NOW + 300);
        assert_eq!(bounded_expiry(NOW, NOW + 301, NOW + 300, false), NOW + 300);
        assert_eq!(bounded_expiry(NOW, u64::MAX, NOW + 300, true), NOW + day);
        // An ID token that claims to live for years does not lift the bound either.
        let years = NOW + 10 * 365 * day;
        assert_eq!(bounded_expiry(NOW, years, years, false), NOW + day);
        // A normal sign-in, with and without a refresh token (the fixture's ID token lives 300 s).
        for refresh in [true, false] {
            let mut response = tokens(Some(300), None);
            if !refresh {
                response.refresh_token = None;
            }
            let session = Session::new(response, validated_claims(), None, &config(), NOW);
            assert_eq!(session.expires_at, NOW + 300, "refresh token: {refresh}");
        }
        let session = Session::new(
            tokens(Some(3_600), None),
            validated_claims(),
            None,
            &config(),
            NOW,
        );
        assert_eq!(session.expires_at, NOW + 3_600);
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
    fn a_stored_session_needs_what_a_derive_needed() {
        let mut session = Session::new(
            tokens(Some(60), None),
            validated_claims(),
            None,
            &config(),
            NOW,
        );
        session.renewed_at = Some(NOW);
        session.consumed = vec![Consumed::of(&RefreshToken::new("old".into()))];
        session.dpop_key_id = Some("key".into());
        let stored = serde_json::to_value(&session).unwrap();
        let read = |value: &Value| serde_json::from_slice::<Session>(value.to_string().as_bytes());
        assert_eq!(read(&stored).unwrap(), session);
        let required = [
            "access_token",
            "id_token",
            "claims",
            "expires_at",
            "scopes",
            "display_name",
            "issuer",
            "client_id",
        ];
        for member in required {
            let mut missing = stored.clone();
            missing.as_object_mut().unwrap().remove(member);
            assert!(read(&missing).is_err(), "without {member}");
        }
        let wrong = [
            ("access_token", serde_json::json!(1)),
            ("refresh_token", serde_json::json!(["rt"])),
            ("expires_at", serde_json::json!(-1)),
            ("expires_at", serde_json::json!(1.5)),
            ("scopes", serde_json::json!("openid")),
            ("scopes", serde_json::json!([1])),
            ("renewed_at", serde_json::json!("now")),
            ("consumed", serde_json::json!([{"fingerprint": "f"}])),
            ("consumed", serde_json::json!({})),
            ("dpop_key_id", serde_json::json!(false)),
            ("claims", serde_json::json!({"iss": "x"})),
        ];
        for (member, value) in wrong {
            let mut broken = stored.clone();
            broken[member] = value;
            assert!(read(&broken).is_err(), "{member}");
        }
        assert!(read(&serde_json::json!([])).is_err());
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
