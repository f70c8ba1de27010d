//! The ID token (OIDC Core 2, 3.1.3.7): decoding the compact JWS, the algorithm policy, and the claim checks.
//! Must not fetch keys or call WebCrypto: signature verification (step 6) is the browser layer's, through the seam
//! described below.
//!
//! # Signature seam
//! [`decode`] does not verify the signature. `crate::jwks` picks the key from the provider's JWKS by
//! `header().kid` and [`Jws::algorithm`], and the browser layer asks WebCrypto to verify [`Jws::signature`] over
//! the bytes of [`Jws::signing_input`] (ES* signatures are the raw `r || s` form WebCrypto expects, RFC 7518 3.4).
//! Step 6 would allow trusting TLS to the token endpoint instead; we verify anyway.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use super::secret::{IdToken, Nonce};

/// The JOSE header parameters we read (RFC 7515 4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoseHeader {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// The asymmetric JWS algorithms accepted (RFC 7518 3.1; RFC 8037 for EdDSA). OIDC Core 3.1.3.7 step 7: "The alg
/// value SHOULD be the default of RS256 or the algorithm sent by the Client in the id_token_signed_response_alg
/// parameter during Registration." `none` and the HMAC family are never accepted: step 8 keys HMAC with the
/// client secret, which a public client does not have, so an HS* token could have been minted by anyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlgorithm {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
    EdDsa,
}

impl SigningAlgorithm {
    const ALL: [SigningAlgorithm; 10] = [
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::Es512,
        Self::EdDsa,
    ];

    /// The `alg` name (case-sensitive, RFC 7515 4.1.1).
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }
}

/// The claims of a decoded ID token. Serde round-trips it (it is part of the stored session); `aud` reads as a
/// string or an array (RFC 7519 4.1.3) and is always written as an array. Read back by the ID token's own reader
/// (see the `Deserialize` impl).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    pub exp: u64,
    pub iat: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Every other claim, untouched. Stored as one nested member rather than `serde(flatten)`ed beside the named
    /// claims: flatten buffers every member through serde's `Content` and cost 2.7 KB gzip of the first load. A
    /// session stored flattened (by an older build) still restores, these claims read back into `other`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub other: Map<String, Value>,
}

/// Which required claims were actually in the token; [`IdTokenClaims`] holds defaults for absent ones so that
/// [`validate_claims`] can name the missing claim instead of failing the decode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Present {
    iss: bool,
    exp: bool,
    iat: bool,
}

/// A decoded, not yet verified, compact JWS (RFC 7515 7.1).
#[derive(Clone, Debug, PartialEq)]
pub struct Jws {
    header: JoseHeader,
    algorithm: SigningAlgorithm,
    claims: IdTokenClaims,
    present: Present,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jws {
    pub fn header(&self) -> &JoseHeader {
        &self.header
    }

    /// The header's `alg`, already checked against the accepted list.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// Unvalidated claims: use [`validate_claims`] before trusting any of them.
    pub fn claims(&self) -> &IdTokenClaims {
        &self.claims
    }

    /// `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes the signature covers (RFC 7515 5.2 step 8).
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The decoded signature octets.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// What the claims are checked against.
#[derive(Clone, Copy, Debug)]
pub struct Expectations<'a> {
    /// The configured issuer (also the metadata's, OIDC Discovery 4.3).
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Audiences besides `client_id` the client trusts (the configuration's `trusted_audiences`); a token listing
    /// any other is refused (step 3).
    pub trusted_audiences: &'a [String],
    /// The nonce of the pending sign-in.
    pub nonce: &'a Nonce,
    /// Unix seconds.
    pub now: u64,
    /// Seconds of clock skew allowed on `exp` and `iat`.
    pub leeway: u64,
    /// The `max_age` of the authorization request, if one was sent (step 13).
    pub max_age: Option<u64>,
}

/// One variant per failed check. Display never includes the token or the nonce.
#[derive(Debug, Error)]
pub enum IdTokenError {
    #[error("the ID token is not a compact JWS (three dot-separated parts)")]
    NotCompact { parts: usize },
    #[error("the ID token's header is not base64url")]
    HeaderEncoding(#[source] base64::DecodeError),
    #[error("the ID token's header is not JSON")]
    HeaderJson(#[source] serde_json::Error),
    #[error("the ID token's header is not a JSON object")]
    HeaderNotObject,
    #[error("the ID token's header parameter `{param}` must be a string")]
    HeaderType { param: &'static str },
    #[error("the ID token's header has no `alg`")]
    MissingAlg,
    #[error("the ID token is unsigned (alg `none`)")]
    AlgNone,
    #[error(
        "the ID token uses the symmetric algorithm `{alg}`, which a public client must not accept"
    )]
    SymmetricAlg { alg: String },
    #[error("the ID token uses the unsupported algorithm `{alg}`")]
    UnsupportedAlg { alg: String },
    #[error(
        "the ID token's header has critical extensions (`crit`) this client does not understand"
    )]
    CriticalHeader,
    #[error("the ID token's claims are not base64url")]
    ClaimsEncoding(#[source] base64::DecodeError),
    #[error("the ID token's claims are not JSON")]
    ClaimsJson(#[source] serde_json::Error),
    #[error("the ID token's claims are not a JSON object")]
    ClaimsNotObject,
    #[error("the ID token's claim `{claim}` has the wrong type")]
    ClaimType { claim: &'static str },
    #[error("the ID token's signature is not base64url")]
    SignatureEncoding(#[source] base64::DecodeError),
    #[error("the ID token has an empty signature")]
    MissingSignature,
    #[error("the ID token was issued by `{found}`, expected `{expected}`")]
    IssuerMismatch { expected: String, found: String },
    #[error("the ID token is not meant for this client (aud)")]
    AudienceMismatch,
    #[error(
        "the ID token also lists the audience `{audience}`, which this client does not trust (aud; see trusted_audiences)"
    )]
    UntrustedAudience { audience: String },
    #[error("the ID token has several audiences but no azp")]
    MissingAuthorizedParty,
    #[error("the ID token was issued to another party (azp)")]
    AuthorizedPartyMismatch,
    #[error("the ID token has no exp")]
    MissingExpiry,
    #[error("the ID token expired at {exp} (now {now})")]
    Expired { exp: u64, now: u64 },
    #[error("the ID token has no iat")]
    MissingIssuedAt,
    #[error("the ID token is issued in the future (iat {iat}, now {now})")]
    IssuedInFuture { iat: u64, now: u64 },
    #[error("the ID token has no nonce")]
    MissingNonce,
    #[error("the ID token's nonce does not match the sign-in request")]
    NonceMismatch,
    #[error("the ID token has no sub")]
    MissingSubject,
    #[error("the refreshed ID token names another user than the sign-in (OIDC Core 12.2)")]
    RefreshChangedIdentity,
    #[error("the refreshed ID token has other audiences than the sign-in (OIDC Core 12.2)")]
    RefreshChangedAudience,
    #[error("the ID token has no auth_time, which max_age requires (OIDC Core 3.1.2.1)")]
    MissingAuthTime,
    #[error("the user authenticated longer ago than max_age allows (OIDC Core 3.1.3.7 step 13)")]
    AuthenticationTooOld { auth_time: u64, max_age: u64 },
    #[error("the refreshed ID token has another auth_time than the sign-in (OIDC Core 12.2)")]
    RefreshChangedAuthTime,
}

/// Splits and decodes a compact JWS and applies the algorithm policy (OIDC Core 3.1.3.7 steps 1 and 7).
pub fn decode(id_token: &IdToken) -> Result<Jws, IdTokenError> {
    let token = id_token.secret();
    // Step 1: "If the ID Token is encrypted, decrypt it". We register no encryption, so a JWE (5 parts) is as
    // unexpected as any other shape: exactly three parts (RFC 7515 7.1).
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return Err(IdTokenError::NotCompact { parts: parts.len() });
    };

    let header_bytes = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(IdTokenError::HeaderEncoding)?;
    let header_value: Value =
        serde_json::from_slice(&header_bytes).map_err(IdTokenError::HeaderJson)?;
    let header_object = header_value
        .as_object()
        .ok_or(IdTokenError::HeaderNotObject)?;
    let header = JoseHeader {
        alg: header_string(header_object, "alg")?.ok_or(IdTokenError::MissingAlg)?,
        kid: header_string(header_object, "kid")?,
        typ: header_string(header_object, "typ")?,
    };
    let algorithm = algorithm_policy(&header.alg)?;
    // RFC 7515 4.1.11: recipients MUST reject a JWS whose `crit` lists extensions they do not understand; we
    // understand none (this also refuses the unencoded-payload option of RFC 7797).
    if header_object.contains_key("crit") {
        return Err(IdTokenError::CriticalHeader);
    }
    // `jku`, `jwk`, `x5u` and `x5c` are ignored on purpose: keys come only from the provider's JWKS (step 6, "The
    // Client MUST use the keys provided by the Issuer").

    let claims_bytes = URL_SAFE_NO_PAD
        .decode(claims_b64)
        .map_err(IdTokenError::ClaimsEncoding)?;
    let claims_value: Value =
        serde_json::from_slice(&claims_bytes).map_err(IdTokenError::ClaimsJson)?;
    let Value::Object(claims_object) = claims_value else {
        return Err(IdTokenError::ClaimsNotObject);
    };
    let (claims, present) = claims_from_object(claims_object)?;

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(IdTokenError::SignatureEncoding)?;
    if signature.is_empty() {
        return Err(IdTokenError::MissingSignature);
    }

    Ok(Jws {
        header,
        algorithm,
        claims,
        present,
        signing_input: format!("{header_b64}.{claims_b64}"),
        signature,
    })
}

/// Step 7 with the public-client reading of step 8: asymmetric algorithms only.
fn algorithm_policy(alg: &str) -> Result<SigningAlgorithm, IdTokenError> {
    if alg.eq_ignore_ascii_case("none") {
        return Err(IdTokenError::AlgNone);
    }
    if alg.starts_with("HS") || alg.starts_with("hs") {
        return Err(IdTokenError::SymmetricAlg {
            alg: alg.to_owned(),
        });
    }
    SigningAlgorithm::from_name(alg).ok_or_else(|| IdTokenError::UnsupportedAlg {
        alg: alg.to_owned(),
    })
}

/// Checks the claims of OIDC Core 3.1.3.7, in the spec's order, and returns them. Run it only on the token from
/// this sign-in's token response, with the nonce of this sign-in's pending record.
pub fn validate_claims(jws: &Jws, expected: &Expectations) -> Result<IdTokenClaims, IdTokenError> {
    check_claims(jws, expected, NonceRule::Equals(expected.nonce.secret()))
}

/// What step 11 demands of the `nonce` claim.
enum NonceRule<'a> {
    /// A fresh sign-in: present and equal to the request's.
    Equals(&'a str),
    /// A refreshed token (OIDC Core 12.2 keeps the original's claims): absent, or the original's.
    AbsentOrEquals(Option<&'a str>),
}

fn check_claims(
    jws: &Jws,
    expected: &Expectations,
    nonce_rule: NonceRule,
) -> Result<IdTokenClaims, IdTokenError> {
    let claims = &jws.claims;

    // Step 2: "The Issuer Identifier for the OpenID Provider (which is typically obtained during Discovery) MUST
    // exactly match the value of the iss (issuer) Claim."
    if !jws.present.iss || claims.iss != expected.issuer {
        return Err(IdTokenError::IssuerMismatch {
            expected: expected.issuer.to_owned(),
            found: claims.iss.clone(),
        });
    }

    // Step 3: "The Client MUST validate that the aud (audience) Claim contains its client_id value registered at
    // the Issuer identified by the iss (issuer) Claim as an audience."
    if !claims.aud.iter().any(|aud| aud == expected.client_id) {
        return Err(IdTokenError::AudienceMismatch);
    }
    // Step 3 goes on: "The ID Token MUST be rejected if the ID Token does not list the Client as a valid audience,
    // or if it contains additional audiences not trusted by the Client." Trusted: the configured ones only.
    if let Some(untrusted) = claims.aud.iter().find(|aud| {
        *aud != expected.client_id
            && !expected
                .trusted_audiences
                .iter()
                .any(|trusted| trusted == *aud)
    }) {
        return Err(IdTokenError::UntrustedAudience {
            audience: untrusted.clone(),
        });
    }

    // Step 4: "If the ID Token contains multiple audiences, the Client SHOULD verify that an azp Claim is present."
    // Read strictly (SPECS.md): required. Together with step 5 this is how we accept the trusted extra audiences:
    // the token must still name us as the party it was issued to.
    if claims.aud.len() > 1 && claims.azp.is_none() {
        return Err(IdTokenError::MissingAuthorizedParty);
    }

    // Step 5: "If an azp (authorized party) Claim is present, the Client SHOULD verify that its client_id is the
    // Claim Value."
    if claims
        .azp
        .as_deref()
        .is_some_and(|azp| azp != expected.client_id)
    {
        return Err(IdTokenError::AuthorizedPartyMismatch);
    }

    // Steps 6 to 8 (signature, alg, HMAC keys): see the module's signature seam; `decode` enforced the alg policy.

    // Step 9: "The current time MUST be before the time represented by the exp Claim (possibly allowing for some
    // small leeway to account for clock skew)." Accepted while exp > now - leeway.
    if !jws.present.exp {
        return Err(IdTokenError::MissingExpiry);
    }
    if claims.exp.saturating_add(expected.leeway) <= expected.now {
        return Err(IdTokenError::Expired {
            exp: claims.exp,
            now: expected.now,
        });
    }

    // Step 10: "The iat Claim can be used to reject tokens that were issued too far away from the current time".
    // iat is REQUIRED (OIDC Core 2); we refuse one later than now + leeway.
    if !jws.present.iat {
        return Err(IdTokenError::MissingIssuedAt);
    }
    if claims.iat > expected.now.saturating_add(expected.leeway) {
        return Err(IdTokenError::IssuedInFuture {
            iat: claims.iat,
            now: expected.now,
        });
    }

    // Step 11: "If a nonce value was sent in the Authentication Request, a nonce Claim MUST be present and its value
    // checked to verify that it is the same value as the one that was sent in the Authentication Request." We always
    // send one; this is also the code-injection defense of RFC 9700 4.5.3.2.
    match (nonce_rule, claims.nonce.as_deref()) {
        (NonceRule::Equals(_), None) => return Err(IdTokenError::MissingNonce),
        (NonceRule::Equals(sent), Some(nonce)) if nonce != sent => {
            return Err(IdTokenError::NonceMismatch);
        }
        (NonceRule::AbsentOrEquals(original), Some(nonce)) if Some(nonce) != original => {
            return Err(IdTokenError::NonceMismatch);
        }
        _ => {}
    }

    // Step 13: "If the auth_time Claim was requested, either through a specific request for this Claim or by using
    // the max_age parameter, the Client SHOULD check the auth_time Claim value and request re-authentication if it
    // determines too much time has elapsed since the last End-User authentication." And 3.1.2.1: with max_age "the
    // ID Token returned MUST include an auth_time Claim Value".
    if let Some(max_age) = expected.max_age {
        let auth_time = claims.auth_time.ok_or(IdTokenError::MissingAuthTime)?;
        let limit = auth_time
            .saturating_add(max_age)
            .saturating_add(expected.leeway);
        if expected.now > limit {
            return Err(IdTokenError::AuthenticationTooOld { auth_time, max_age });
        }
    }

    // OIDC Core 2: sub is REQUIRED, "A locally unique and never reassigned identifier within the Issuer for the
    // End-User".
    if claims.sub.is_empty() {
        return Err(IdTokenError::MissingSubject);
    }

    Ok(claims.clone())
}

/// Checks an ID token from a refresh (OIDC Core 12.2): the rules of 3.1.3.7 against the original sign-in's
/// issuer and client, and then "its iss, sub, aud [and azp] Claim Value MUST be the same as in the ID Token
/// issued when the original authentication occurred", and its `auth_time`, if any, is the original's.
pub fn validate_refreshed_claims(
    jws: &Jws,
    original: &IdTokenClaims,
    client_id: &str,
    now: u64,
    leeway: u64,
) -> Result<IdTokenClaims, IdTokenError> {
    // The nonce field is not consulted under `AbsentOrEquals`; the original's nonce is.
    let unused = Nonce::new(String::new());
    let expected = Expectations {
        issuer: &original.iss,
        client_id,
        // Step 3's trust in extra audiences: those the sign-in accepted, which were checked against the
        // configuration then. 12.2 below allows no others anyway; this keeps step 3 from refusing them.
        trusted_audiences: &original.aud,
        nonce: &unused,
        now,
        leeway,
        max_age: None,
    };
    let rule = NonceRule::AbsentOrEquals(original.nonce.as_deref());
    let claims = check_claims(jws, &expected, rule)?;
    // `check_claims` already held `iss` to the original's.
    if claims.sub != original.sub {
        return Err(IdTokenError::RefreshChangedIdentity);
    }
    if !same_audiences(&original.aud, &claims.aud) || claims.azp != original.azp {
        return Err(IdTokenError::RefreshChangedAudience);
    }
    if claims.auth_time.is_some() && claims.auth_time != original.auth_time {
        return Err(IdTokenError::RefreshChangedAuthTime);
    }
    Ok(claims)
}

/// Whether `a` and `b` list the same audiences in any order, a repeated one counted as often as it appears. By
/// counting, not by sorting copies: audience lists are a handful of strings, and sorting brought a generic sort of
/// about 1.5 KB gzip into the first load for this one comparison.
fn same_audiences(a: &[String], b: &[String]) -> bool {
    let count = |list: &[String], audience: &String| list.iter().filter(|x| *x == audience).count();
    a.len() == b.len()
        && a.iter()
            .all(|audience| count(a, audience) == count(b, audience))
}

fn header_string(
    header: &Map<String, Value>,
    param: &'static str,
) -> Result<Option<String>, IdTokenError> {
    match header.get(param) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(IdTokenError::HeaderType { param }),
    }
}

fn claims_from_object(
    mut object: Map<String, Value>,
) -> Result<(IdTokenClaims, Present), IdTokenError> {
    let iss = take_string(&mut object, "iss")?;
    let exp = take_numeric_date(&mut object, "exp")?;
    let iat = take_numeric_date(&mut object, "iat")?;
    let present = Present {
        iss: iss.is_some(),
        exp: exp.is_some(),
        iat: iat.is_some(),
    };
    let aud = match object.remove("aud") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => {
            audience_from_value(value).ok_or(IdTokenError::ClaimType { claim: "aud" })?
        }
    };
    let claims = IdTokenClaims {
        iss: iss.unwrap_or_default(),
        sub: take_string(&mut object, "sub")?.unwrap_or_default(),
        aud,
        azp: take_string(&mut object, "azp")?,
        exp: exp.unwrap_or_default(),
        iat: iat.unwrap_or_default(),
        nonce: take_string(&mut object, "nonce")?,
        auth_time: take_numeric_date(&mut object, "auth_time")?,
        name: take_string(&mut object, "name")?,
        preferred_username: take_string(&mut object, "preferred_username")?,
        email: take_string(&mut object, "email")?,
        other: object,
    };
    Ok((claims, present))
}

fn take_string(
    object: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<Option<String>, IdTokenError> {
    match object.remove(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(IdTokenError::ClaimType { claim }),
    }
}

/// RFC 7519 2: a NumericDate is seconds since the epoch and may be non-integer; fractions are dropped.
fn take_numeric_date(
    object: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<Option<u64>, IdTokenError> {
    match object.remove(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            if let Some(seconds) = number.as_u64() {
                Ok(Some(seconds))
            } else {
                match number.as_f64() {
                    // `as` saturates; a float beyond u64 is a date nobody will reach.
                    Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                        Ok(Some(seconds as u64))
                    }
                    _ => Err(IdTokenError::ClaimType { claim }),
                }
            }
        }
        Some(_) => Err(IdTokenError::ClaimType { claim }),
    }
}

/// RFC 7519 4.1.3: "In the general case, the aud value is an array of case-sensitive strings... In the special
/// case when the JWT has one audience, the aud value MAY be a single case-sensitive string".
fn audience_from_value(value: Value) -> Option<Vec<String>> {
    match value {
        Value::String(aud) => Some(vec![aud]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(aud) => Some(aud),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// A stored copy is read with the reader of the token's own claims (`claims_from_object`) rather than a derive:
/// the claims are a `Value` first either way, and a derived reader was about 2 KB gzip of the first load. As a
/// derive would, it requires `iss`, `sub`, `aud`, `exp` and `iat`, and refuses a member of the wrong type; the
/// nested `other` goes back where [`Serialize`] took it from.
impl<'de> Deserialize<'de> for IdTokenClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let Value::Object(object) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("stored claims must be an object"));
        };
        IdTokenClaims::from_stored(object).map_err(D::Error::custom)
    }
}

impl IdTokenClaims {
    /// The claims as [`Serialize`] stored them (the `Deserialize` impl, and a stored session's reader).
    pub(crate) fn from_stored(mut object: Map<String, Value>) -> Result<Self, &'static str> {
        let other = match object.remove("other") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(other)) => other,
            Some(_) => return Err("stored claims: `other` must be an object"),
        };
        let required = ["sub", "aud"].map(|claim| object.get(claim).is_some_and(|v| !v.is_null()));
        let (mut claims, present) =
            claims_from_object(object).map_err(|_| "stored claims: a claim has the wrong type")?;
        if !(present.iss && present.exp && present.iat && required == [true, true]) {
            return Err("stored claims lack a required claim");
        }
        claims.other.extend(other);
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CLIENT_ID, ISSUER, NONCE, NOW, id_token, jwt, valid_claims};
    use serde_json::json;

    fn nonce() -> Nonce {
        Nonce::new(NONCE.into())
    }

    fn check(token: &IdToken) -> Result<IdTokenClaims, IdTokenError> {
        check_trusting(token, &[])
    }

    fn check_trusting(token: &IdToken, trusted: &[&str]) -> Result<IdTokenClaims, IdTokenError> {
        let nonce = nonce();
        let trusted: Vec<String> = trusted.iter().map(|aud| aud.to_string()).collect();
        let expected = Expectations {
            issuer: ISSUER,
            client_id: CLIENT_ID,
            trusted_audiences: &trusted,
            nonce: &nonce,
            now: NOW,
            leeway: 60,
            max_age: None,
        };
        validate_claims(&decode(token)?, &expected)
    }

    fn check_max_age(token: &IdToken, max_age: u64) -> Result<IdTokenClaims, IdTokenError> {
        let nonce = nonce();
        let expected = Expectations {
            issuer: ISSUER,
            client_id: CLIENT_ID,
            trusted_audiences: &[],
            nonce: &nonce,
            now: NOW,
            leeway: 60,
            max_age: Some(max_age),
        };
        validate_claims(&decode(token)?, &expected)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn with_max_age_auth_time_is_required_and_must_be_recent_enough() {
        // The fixture authenticated 10 s before NOW; leeway 60 s.
        assert!(check_max_age(&id_token(&valid_claims()), 0).is_ok());
        assert!(check_max_age(&id_token(&valid_claims()), 300).is_ok());
        let old = with_claim("auth_time", json!(NOW - 1_000));
        assert!(matches!(
            check_max_age(&old, 300),
            Err(IdTokenError::AuthenticationTooOld { max_age: 300, .. })
        ));
        assert!(
            check_max_age(&old, 940).is_ok(),
            "within max_age plus the leeway"
        );
        let missing = with_claim("auth_time", Value::Null);
        assert!(matches!(
            check_max_age(&missing, 300),
            Err(IdTokenError::MissingAuthTime)
        ));
        // Without max_age, auth_time is neither required nor bounded.
        assert!(check(&missing).is_ok());
        assert!(check(&old).is_ok());
    }

    /// The valid fixture with one claim changed (`Value::Null` removes it).
    fn with_claim(claim: &str, value: Value) -> IdToken {
        let mut claims = valid_claims();
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(claim);
        } else {
            claims[claim] = value;
        }
        id_token(&claims)
    }

    fn with_header(header: Value) -> IdToken {
        IdToken::new(jwt(&header, &valid_claims(), b"sig"))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accepts_a_valid_token_and_exposes_the_signature_seam() {
        let token = id_token(&valid_claims());
        let jws = decode(&token).unwrap();
        assert_eq!(jws.header().alg, "RS256");
        assert_eq!(jws.header().kid.as_deref(), Some("key-1"));
        assert_eq!(jws.algorithm(), SigningAlgorithm::Rs256);
        assert_eq!(jws.signature(), b"sig");
        let (input, _) = token.secret().rsplit_once('.').unwrap();
        assert_eq!(jws.signing_input(), input);

        let claims = check(&token).unwrap();
        assert_eq!(claims.iss, ISSUER);
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.aud, vec![CLIENT_ID.to_string()]);
        assert_eq!(claims.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(claims.other.get("email_verified"), Some(&json!(true)));
        assert!(!claims.other.contains_key("iss"));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accepts_every_asymmetric_algorithm() {
        for alg in [
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
            "EdDSA",
        ] {
            let jws = decode(&with_header(json!({"alg": alg}))).unwrap();
            assert_eq!(jws.algorithm().name(), alg);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accepts_audience_arrays_with_azp_and_the_leeway_edges() {
        let mut claims = valid_claims();
        claims["aud"] = json!([CLIENT_ID, "api"]);
        claims["azp"] = json!(CLIENT_ID);
        assert_eq!(
            check_trusting(&id_token(&claims), &["api"]).unwrap().aud,
            vec![CLIENT_ID, "api"]
        );
        // A one-element array without azp is fine.
        assert!(check(&with_claim("aud", json!([CLIENT_ID]))).is_ok());
        // exp 59 s ago, within the 60 s leeway; iat 60 s ahead, at the edge.
        assert!(check(&with_claim("exp", json!(NOW - 59))).is_ok());
        assert!(check(&with_claim("iat", json!(NOW + 60))).is_ok());
        // NumericDate may be fractional (RFC 7519 2).
        assert!(check(&with_claim("exp", json!(NOW as f64 + 100.5))).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_alg_none() {
        let token = with_header(json!({"alg": "none"}));
        assert!(matches!(decode(&token), Err(IdTokenError::AlgNone)));
        let unsigned = IdToken::new(jwt(&json!({"alg": "none"}), &valid_claims(), b""));
        assert!(matches!(decode(&unsigned), Err(IdTokenError::AlgNone)));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_hmac_algorithms() {
        for alg in ["HS256", "HS384", "HS512"] {
            let error = decode(&with_header(json!({"alg": alg}))).unwrap_err();
            assert!(
                matches!(&error, IdTokenError::SymmetricAlg { alg: a } if a == alg),
                "{error}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_unknown_algorithms_and_bad_headers() {
        for alg in ["rs256", "RS1", "ES256K", ""] {
            assert!(
                matches!(
                    decode(&with_header(json!({"alg": alg}))),
                    Err(IdTokenError::UnsupportedAlg { .. })
                ),
                "{alg}"
            );
        }
        assert!(matches!(
            decode(&with_header(json!({"kid": "k"}))),
            Err(IdTokenError::MissingAlg)
        ));
        assert!(matches!(
            decode(&with_header(json!({"alg": 256}))),
            Err(IdTokenError::HeaderType { param: "alg" })
        ));
        assert!(matches!(
            decode(&with_header(json!({"alg": "RS256", "crit": ["exp"]}))),
            Err(IdTokenError::CriticalHeader)
        ));
        assert!(matches!(
            decode(&with_header(json!(["RS256"]))),
            Err(IdTokenError::HeaderNotObject)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_malformed_compact_serializations() {
        let valid = id_token(&valid_claims());
        let (header, rest) = valid.secret().split_once('.').unwrap();
        let (claims, signature) = rest.split_once('.').unwrap();
        type Check = fn(&IdTokenError) -> bool;
        let cases: Vec<(String, Check)> = vec![
            (format!("{header}.{claims}"), |e| {
                matches!(e, IdTokenError::NotCompact { parts: 2 })
            }),
            (format!("{header}.{claims}.{signature}.x.y"), |e| {
                matches!(e, IdTokenError::NotCompact { parts: 5 })
            }),
            (format!("{header}=.{claims}.{signature}"), |e| {
                matches!(e, IdTokenError::HeaderEncoding(_))
            }),
            (format!("{header}.{claims}+.{signature}"), |e| {
                matches!(e, IdTokenError::ClaimsEncoding(_))
            }),
            (format!("{header}.{claims}.{signature}="), |e| {
                matches!(e, IdTokenError::SignatureEncoding(_))
            }),
            (format!("{header}.{claims}."), |e| {
                matches!(e, IdTokenError::MissingSignature)
            }),
            (format!("e30.{claims}.{signature}"), |e| {
                matches!(e, IdTokenError::MissingAlg)
            }),
            (format!("bm90IGpzb24.{claims}.{signature}"), |e| {
                matches!(e, IdTokenError::HeaderJson(_))
            }),
            (format!("{header}.bm90IGpzb24.{signature}"), |e| {
                matches!(e, IdTokenError::ClaimsJson(_))
            }),
            (format!("{header}.WzFd.{signature}"), |e| {
                matches!(e, IdTokenError::ClaimsNotObject)
            }),
        ];
        for (token, expected) in cases {
            let error = decode(&IdToken::new(token.clone())).unwrap_err();
            assert!(expected(&error), "{token}: {error:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_claims_of_the_wrong_type() {
        for (claim, value) in [
            ("exp", json!("tomorrow")),
            ("exp", json!(-1)),
            ("iat", json!(true)),
            ("aud", json!([CLIENT_ID, 7])),
            ("aud", json!({"client": CLIENT_ID})),
            ("sub", json!(42)),
            ("nonce", json!([NONCE])),
        ] {
            let error = decode(&with_claim(claim, value)).unwrap_err();
            assert!(
                matches!(&error, IdTokenError::ClaimType { claim: c } if *c == claim),
                "{claim}: {error:?}"
            );
        }
    }

    // Step 2.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_another_issuer() {
        for iss in [
            json!("https://evil.example"),
            json!(format!("{ISSUER}/")),
            Value::Null,
        ] {
            assert!(
                matches!(
                    check(&with_claim("iss", iss.clone())),
                    Err(IdTokenError::IssuerMismatch { .. })
                ),
                "{iss}"
            );
        }
        // A missing iss never matches, even against an (invalid) empty expected issuer.
        let nonce = nonce();
        let careless = Expectations {
            issuer: "",
            client_id: CLIENT_ID,
            trusted_audiences: &[],
            nonce: &nonce,
            now: NOW,
            leeway: 60,
            max_age: None,
        };
        let jws = decode(&with_claim("iss", Value::Null)).unwrap();
        assert!(matches!(
            validate_claims(&jws, &careless),
            Err(IdTokenError::IssuerMismatch { .. })
        ));
    }

    // Step 3.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_another_audience() {
        for aud in [json!("other"), json!(["other"]), json!([]), Value::Null] {
            assert!(
                matches!(
                    check(&with_claim("aud", aud.clone())),
                    Err(IdTokenError::AudienceMismatch)
                ),
                "{aud}"
            );
        }
    }

    // Step 3, second sentence.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_extra_audiences_the_client_does_not_trust() {
        let mut claims = valid_claims();
        claims["aud"] = json!([CLIENT_ID, "api"]);
        claims["azp"] = json!(CLIENT_ID);
        let token = id_token(&claims);
        for trusted in [&[][..], &["other-api"], &["API"]] {
            let error = check_trusting(&token, trusted).unwrap_err();
            assert!(
                matches!(&error, IdTokenError::UntrustedAudience { audience } if audience == "api"),
                "{trusted:?}: {error:?}"
            );
        }
        assert!(check_trusting(&token, &["api"]).is_ok());
        // Every extra audience must be trusted, not just one; the error names the first that is not.
        claims["aud"] = json!(["evil", CLIENT_ID, "api"]);
        let error = check_trusting(&id_token(&claims), &["api"]).unwrap_err();
        assert!(
            matches!(&error, IdTokenError::UntrustedAudience { audience } if audience == "evil"),
            "{error:?}"
        );
        // Trust in another audience never replaces the client's own: step 3's first check still applies.
        assert!(matches!(
            check_trusting(&with_claim("aud", json!(["api"])), &["api"]),
            Err(IdTokenError::AudienceMismatch)
        ));
        // The client listed twice adds no untrusted audience.
        claims["aud"] = json!([CLIENT_ID, CLIENT_ID]);
        assert!(check(&id_token(&claims)).is_ok());
    }

    // Step 4.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_several_audiences_without_azp() {
        let token = with_claim("aud", json!([CLIENT_ID, "api"]));
        assert!(matches!(
            check_trusting(&token, &["api"]),
            Err(IdTokenError::MissingAuthorizedParty)
        ));
    }

    // Step 5.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_another_authorized_party() {
        let token = with_claim("azp", json!("other"));
        assert!(matches!(
            check(&token),
            Err(IdTokenError::AuthorizedPartyMismatch)
        ));
    }

    // Step 9.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_expired_and_exp_less_tokens() {
        let error = check(&with_claim("exp", json!(NOW - 60))).unwrap_err();
        assert!(matches!(error, IdTokenError::Expired { exp, now: NOW } if exp == NOW - 60));
        assert!(matches!(
            check(&with_claim("exp", Value::Null)),
            Err(IdTokenError::MissingExpiry)
        ));
    }

    // Step 10.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_tokens_issued_in_the_future_or_without_iat() {
        let error = check(&with_claim("iat", json!(NOW + 61))).unwrap_err();
        assert!(matches!(error, IdTokenError::IssuedInFuture { .. }));
        assert!(matches!(
            check(&with_claim("iat", Value::Null)),
            Err(IdTokenError::MissingIssuedAt)
        ));
    }

    // Step 11.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_a_missing_or_different_nonce() {
        assert!(matches!(
            check(&with_claim("nonce", Value::Null)),
            Err(IdTokenError::MissingNonce)
        ));
        let error = check(&with_claim("nonce", json!("replayed-nonce"))).unwrap_err();
        assert!(matches!(error, IdTokenError::NonceMismatch));
        assert!(!error.to_string().contains(NONCE));
    }

    // OIDC Core 2: sub.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_a_missing_or_empty_subject() {
        assert!(matches!(
            check(&with_claim("sub", Value::Null)),
            Err(IdTokenError::MissingSubject)
        ));
        assert!(matches!(
            check(&with_claim("sub", json!(""))),
            Err(IdTokenError::MissingSubject)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn claims_round_trip_through_json_and_accept_a_string_audience() {
        let claims = check(&id_token(&valid_claims())).unwrap();
        let stored = serde_json::to_string(&claims).unwrap();
        assert!(stored.contains(r#""aud":["spa"]"#), "{stored}");
        let back: IdTokenClaims = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.other.get("email_verified"), Some(&json!(true)));
        let single: IdTokenClaims = serde_json::from_value(
            json!({"iss": ISSUER, "sub": "s", "aud": "spa", "exp": 1, "iat": 1}),
        )
        .unwrap();
        assert_eq!(single.aud, vec!["spa"]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn stored_claims_need_what_a_derive_needed() {
        let stored = || json!({"iss": ISSUER, "sub": "s", "aud": ["spa"], "exp": 1, "iat": 1});
        let read =
            |value: Value| serde_json::from_slice::<IdTokenClaims>(value.to_string().as_bytes());
        assert!(read(stored()).is_ok());
        for claim in ["iss", "sub", "aud", "exp", "iat"] {
            let mut missing = stored();
            missing.as_object_mut().unwrap().remove(claim);
            assert!(read(missing).is_err(), "without {claim}");
            let mut null = stored();
            null[claim] = Value::Null;
            assert!(read(null).is_err(), "{claim}: null");
        }
        for (claim, wrong) in [
            ("sub", json!(5)),
            ("aud", json!([1])),
            ("exp", json!("soon")),
            ("email", json!(true)),
            ("other", json!([])),
        ] {
            let mut value = stored();
            value[claim] = wrong;
            assert!(read(value).is_err(), "{claim}");
        }
        assert!(read(json!([ISSUER, "s"])).is_err());
        // An older build's flattened session: its extra claims come back in `other`.
        let mut flattened = stored();
        flattened["email_verified"] = json!(true);
        let back = read(flattened).unwrap();
        assert_eq!(back.other.get("email_verified"), Some(&json!(true)));
    }

    fn refreshed(change: &str, value: Value) -> Result<IdTokenClaims, IdTokenError> {
        let original = check(&id_token(&valid_claims())).unwrap();
        validate_refreshed_claims(
            &decode(&with_claim(change, value))?,
            &original,
            CLIENT_ID,
            NOW,
            60,
        )
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refreshed_token_may_drop_the_nonce_and_renew_iat() {
        assert!(refreshed("nonce", Value::Null).is_ok());
        assert!(refreshed("iat", json!(NOW)).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refreshed_token_keeps_the_original_identity() {
        assert!(matches!(
            refreshed("sub", json!("mallory")),
            Err(IdTokenError::RefreshChangedIdentity)
        ));
        assert!(matches!(
            refreshed("iss", json!("https://evil.example")),
            Err(IdTokenError::IssuerMismatch { .. })
        ));
        assert!(matches!(
            refreshed("nonce", json!("another")),
            Err(IdTokenError::NonceMismatch)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refreshed_token_keeps_the_original_audience_and_azp() {
        assert!(matches!(
            refreshed("aud", json!([CLIENT_ID, "other"])),
            // An audience the sign-in did not have fails step 3 first; a changed azp fails 12.2.
            Err(IdTokenError::UntrustedAudience { .. })
        ));
        assert!(matches!(
            refreshed("azp", json!(CLIENT_ID)),
            Err(IdTokenError::RefreshChangedAudience)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refreshed_token_may_keep_the_trusted_extra_audience_of_the_sign_in() {
        let mut claims = valid_claims();
        claims["aud"] = json!([CLIENT_ID, "api"]);
        claims["azp"] = json!(CLIENT_ID);
        let original = check_trusting(&id_token(&claims), &["api"]).unwrap();
        claims["aud"] = json!(["api", CLIENT_ID]);
        claims.as_object_mut().unwrap().remove("nonce");
        let jws = decode(&id_token(&claims)).unwrap();
        let renewed = validate_refreshed_claims(&jws, &original, CLIENT_ID, NOW, 60).unwrap();
        assert_eq!(renewed.aud, ["api", CLIENT_ID]);
        // Dropping the extra audience changes the set, and so does repeating one in its place: 12.2 refuses both.
        for aud in [json!([CLIENT_ID]), json!([CLIENT_ID, CLIENT_ID])] {
            claims["aud"] = aud;
            let jws = decode(&id_token(&claims)).unwrap();
            assert!(matches!(
                validate_refreshed_claims(&jws, &original, CLIENT_ID, NOW, 60),
                Err(IdTokenError::RefreshChangedAudience)
            ));
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refreshed_token_keeps_the_original_auth_time() {
        assert!(matches!(
            refreshed("auth_time", json!(NOW - 5)),
            Err(IdTokenError::RefreshChangedAuthTime)
        ));
    }
}
