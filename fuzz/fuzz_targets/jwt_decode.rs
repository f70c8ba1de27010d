//! The ID token arrives from the token endpoint, but until its signature is checked its bytes are the attacker's.
//! Decodes it as the app does and, when it decodes, validates its claims against fixed expectations. Besides
//! "never panics", it asserts what `decode` and `validate_claims` promise their callers, and that validated claims
//! survive the serde round trip the stored session relies on.
//!
//! Each input is tried twice: as the token text itself (splitting, base64url), and as `header\nclaims\nsignature`
//! that the harness base64url-encodes into a token, because byte mutations of base64 text rarely stay valid JSON
//! and would leave the claim checks almost unexplored.

#![no_main]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use oidc_spa_core::{
    Expectations, IdToken, IdTokenClaims, Nonce, SigningAlgorithm, decode, validate_claims,
    webcrypto,
};

fuzz_target!(|data: &[u8]| {
    check(String::from_utf8_lossy(data).into_owned());
    let mut parts = data.splitn(3, |byte| *byte == b'\n');
    if let (Some(header), Some(claims), Some(signature)) =
        (parts.next(), parts.next(), parts.next())
    {
        check(
            [header, claims, signature]
                .map(|part| URL_SAFE_NO_PAD.encode(part))
                .join("."),
        );
    }
});

fn check(token: String) {
    let Ok(jws) = decode(&IdToken::new(token.clone())) else {
        return;
    };

    // The algorithm policy ran: the header names an accepted algorithm, and the signature is not empty.
    assert_eq!(
        SigningAlgorithm::from_name(&jws.header().alg),
        Some(jws.algorithm())
    );
    let _ = webcrypto(jws.algorithm());
    assert!(!jws.signature().is_empty());
    let signed = token.rsplit_once('.').map(|(signed, _)| signed);
    assert_eq!(Some(jws.signing_input()), signed);

    let nonce = Nonce::new(common::NONCE.into());
    let expected = Expectations {
        issuer: common::ISSUER,
        client_id: common::CLIENT_ID,
        trusted_audiences: &[],
        nonce: &nonce,
        now: common::NOW,
        leeway: common::LEEWAY,
        max_age: None,
        acr_values: None,
    };
    let Ok(claims) = validate_claims(&jws, &expected) else {
        return;
    };
    // Step 12 with acr requested as essential (OIDC Core 5.5.1.1): accepted only with one of the values.
    let essential = ["urn:test:mfa".to_owned()];
    let stepped_up = Expectations {
        acr_values: Some(&essential),
        ..expected
    };
    if validate_claims(&jws, &stepped_up).is_ok() {
        assert_eq!(claims.other.get("acr").and_then(|acr| acr.as_str()), Some("urn:test:mfa"));
    }

    // OIDC Core 3.1.3.7 steps 2 to 5, 9 to 11, and `sub`.
    assert_eq!(claims.iss, common::ISSUER);
    assert!(claims.aud.iter().any(|aud| aud == common::CLIENT_ID));
    // Step 3 also refuses audiences the client does not trust, and it trusts none here.
    assert!(claims.aud.iter().all(|aud| aud == common::CLIENT_ID));
    assert!(claims.aud.len() == 1 || claims.azp.is_some());
    assert!(
        claims
            .azp
            .as_deref()
            .is_none_or(|azp| azp == common::CLIENT_ID)
    );
    assert!(claims.exp.saturating_add(common::LEEWAY) > common::NOW);
    assert!(claims.iat <= common::NOW + common::LEEWAY);
    assert_eq!(claims.nonce.as_deref(), Some(common::NONCE));
    assert!(!claims.sub.is_empty());

    let stored = serde_json::to_string(&claims).expect("claims serialize");
    let restored: IdTokenClaims = serde_json::from_str(&stored).expect("stored claims read back");
    // Unknown claims are kept but never read, and serde_json (without its `float_roundtrip` feature) may move a
    // float by one ULP on the way back (found by this target: a claim `222222222222222222222222`). So they are
    // compared by name only; every claim the app reads must come back exactly.
    assert!(restored.other.keys().eq(claims.other.keys()));
    let known = |claims: &IdTokenClaims| IdTokenClaims {
        other: Default::default(),
        ..claims.clone()
    };
    assert_eq!(known(&restored), known(&claims));
}
