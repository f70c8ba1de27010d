//! The unit tests of `id_token`, beside it: the file is mostly tests.

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
        acr_values: None,
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
        acr_values: None,
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

fn check_acr(token: &IdToken, values: &[&str]) -> Result<IdTokenClaims, IdTokenError> {
    let nonce = nonce();
    let values: Vec<String> = values.iter().map(|value| value.to_string()).collect();
    let expected = Expectations {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        trusted_audiences: &[],
        nonce: &nonce,
        now: NOW,
        leeway: 60,
        max_age: None,
        acr_values: Some(&values),
    };
    validate_claims(&decode(token)?, &expected)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn acr_requested_as_essential_must_be_one_of_the_values() {
    let mfa = with_claim("acr", json!("urn:test:mfa"));
    assert!(check_acr(&mfa, &["urn:test:mfa"]).is_ok());
    assert!(check_acr(&mfa, &["urn:test:hwk", "urn:test:mfa"]).is_ok());
    for (token, what) in [
        (with_claim("acr", json!("urn:test:pwd")), "another level"),
        (with_claim("acr", Value::Null), "no acr"),
        (with_claim("acr", json!(["urn:test:mfa"])), "not a string"),
        (with_claim("acr", json!("urn:test:MFA")), "compared exactly"),
    ] {
        assert!(
            matches!(
                check_acr(&token, &["urn:test:mfa"]),
                Err(IdTokenError::AcrNotGranted)
            ),
            "{what}"
        );
    }
    // Not requested as essential: any acr, or none.
    assert!(check(&with_claim("acr", json!("urn:test:pwd"))).is_ok());
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
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
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
        acr_values: None,
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
    let read = |value: Value| serde_json::from_slice::<IdTokenClaims>(value.to_string().as_bytes());
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
