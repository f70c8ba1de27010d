//! The ID token (OIDC Core 2, 3.1.3.7): decoding the compact JWS, the algorithm policy, and the claim checks.
//! Must not fetch keys or call WebCrypto: signature verification (step 6) is the browser layer's, through the seam
//! described below.
//!
//! # Signature seam
//! [`decode`] does not verify the signature. `crate::keys::jwks` picks the key from the provider's JWKS by
//! `header().kid` and [`Jws::algorithm`], and the browser layer asks WebCrypto to verify [`Jws::signature`] over
//! the bytes of [`Jws::signing_input`] (ES* signatures are the raw `r || s` form WebCrypto expects, RFC 7518 3.4).
//! Step 6 would allow trusting TLS to the token endpoint instead; we verify anyway.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::secret::{IdToken, Nonce};

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
    /// The ACR values requested as essential, if any (step 12, OIDC Core 5.5.1.1).
    pub acr_values: Option<&'a [String]>,
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
    #[error(
        "the ID token's acr is not one of the authentication levels requested as essential (OIDC Core 3.1.3.7 step \
         12, 5.5.1.1)"
    )]
    AcrNotGranted,
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

    // Step 12: "If the acr Claim was requested, the Client SHOULD check that the asserted Claim Value is
    // appropriate." Requested as essential with values (5.5.1.1), appropriate means one of them; a provider that
    // could not satisfy the request and sent another level, or none, has not given what the step-up asked for.
    if let Some(values) = expected.acr_values {
        let acr = claims.other.get("acr").and_then(Value::as_str);
        if !acr.is_some_and(|acr| values.iter().any(|value| value == acr)) {
            return Err(IdTokenError::AcrNotGranted);
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
        acr_values: None,
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
mod tests;
