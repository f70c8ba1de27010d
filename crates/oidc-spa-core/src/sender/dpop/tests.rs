//! The unit tests of `dpop`, beside it: the file is mostly tests.

use super::*;

#[test]
fn a_key_is_deleted_only_once_no_session_can_need_it() {
    const NOW: u64 = 1_800_000_000;
    assert_eq!(key_upkeep(Some(NOW), NOW), KeyUpkeep::Keep);
    assert_eq!(
        key_upkeep(Some(NOW - KEY_RETENTION_SECONDS), NOW),
        KeyUpkeep::Keep
    );
    assert_eq!(
        key_upkeep(Some(NOW - KEY_RETENTION_SECONDS - 1), NOW),
        KeyUpkeep::Delete
    );
    // Longer than a session can live after its last tokens.
    const {
        assert!(
            KEY_RETENTION_SECONDS > crate::lifecycle::session::MAX_ACCESS_TOKEN_LIFETIME_SECONDS
        )
    };
    // A clock set back since the key was used: kept.
    assert_eq!(key_upkeep(Some(NOW + 3600), NOW), KeyUpkeep::Keep);
    assert_eq!(key_upkeep(None, NOW), KeyUpkeep::Stamp);
    assert_eq!(key_upkeep(Some(0), NOW), KeyUpkeep::Delete);
}

/// The public key of RFC 9449's examples (Figures 4 and 14).
const X: &str = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
const Y: &str = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";

fn rfc_jwk() -> PublicJwk {
    PublicJwk::new(X, Y).unwrap()
}

/// The claims of RFC 9449 Figure 2, the token request's proof (its `jti` is not base64url of 16 octets).
fn figure_2_claims() -> ProofClaims {
    ProofClaims {
        jti: "-BwC3ESc6acc2lTc".into(),
        ..ProofClaims::new(
            "POST",
            &url("https://server.example.com/token"),
            1562262616,
            &mut |_| {},
        )
        .unwrap()
    }
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

/// RFC 8792 "\" line wrapping removed.
fn unwrap_lines(text: &str) -> String {
    text.split_whitespace()
        .map(|line| line.trim_end_matches('\\'))
        .collect()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc9449_thumbprint_of_the_example_key() {
    // RFC 9449 6.1: "The jkt value in these examples is the hash of the public key from the DPoP proofs".
    let input = thumbprint_input(&rfc_jwk());
    assert_eq!(
        thumbprint(&Sha256::digest(input.as_bytes())).unwrap(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
    assert_eq!(
        jkt(&rfc_jwk()),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn binding_the_authorization_request_adds_dpop_jkt_and_remembers_the_key() {
    let mut request = crate::sign_in::authorize::authorization_request(
        &crate::testing::config(),
        &crate::testing::metadata(),
        "/",
        crate::testing::NOW,
        &mut crate::testing::counting_random(),
    );
    let before: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    crate::sign_in::authorize::bind_dpop(&mut request, "key-1", &rfc_jwk());
    let after: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    assert_eq!(
        after[..before.len()],
        before[..],
        "every other parameter is kept"
    );
    assert_eq!(
        after[before.len()..],
        [(
            "dpop_jkt".to_owned(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".to_owned()
        )]
    );
    assert_eq!(request.pending.dpop_key_id.as_deref(), Some("key-1"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc7638_thumbprint_vector() {
    // RFC 7638 3.1's RSA key, its hash input as printed there: the digest-to-thumbprint half of the computation
    // (our keys are EC, so `thumbprint_input` does not take RSA keys).
    let input = concat!(
        r#"{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"#,
        r#"_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZ"#,
        r#"gnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"#,
        r#"Cur-kEgU8awapJzKnqDKgw"}"#
    );
    assert_eq!(
        thumbprint(&Sha256::digest(input.as_bytes())).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn thumbprint_input_has_the_required_members_only_in_order() {
    // The export's extra members (`ext`, `key_ops`, `alg`, `kid`) are not part of the thumbprint (RFC 7638 3.2).
    let exported = format!(
        r#"{{"y":"{Y}","x":"{X}","kty":"EC","key_ops":["verify"],"ext":true,"crv":"P-256","kid":"k1","alg":"ES256"}}"#
    );
    assert_eq!(
        thumbprint_input(&PublicJwk::from_json(&exported).unwrap()),
        format!(r#"{{"crv":"P-256","kty":"EC","x":"{X}","y":"{Y}"}}"#)
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc9449_ath_vector() {
    // RFC 9449 7.1, Figures 13 and 14.
    let token = AccessToken::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into());
    assert_eq!(
        ath(&Sha256::digest(ath_input(&token))).unwrap(),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
    assert_eq!(
        ath_of(&token),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn digests_must_be_sha256_sized() {
    for len in [0, 20, 31, 33, 48, 64] {
        let digest = vec![7u8; len];
        assert_eq!(ath(&digest), Err(DpopError::DigestLength { len }));
        assert_eq!(thumbprint(&digest), Err(DpopError::DigestLength { len }));
    }
    assert_eq!(ath(&[0xfb; 32]).unwrap(), "-_v7".repeat(10) + "-_s");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc9449_token_request_proof_is_reproduced_byte_for_byte() {
    // RFC 9449 4.1 Figure 2 (decoded in Figure 4): the same header and claims give the same signing input, and
    // the figure's signature assembles into the figure's header value.
    let figure_2 = unwrap_lines(
        r"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik\
        VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR\
        nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE\
        QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj\
        oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia\
        WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg\
        4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg",
    );
    let claims = figure_2_claims();
    let input = signing_input(&ProofHeader::es256(rfc_jwk()), &claims);
    let (expected_input, signature) = figure_2.rsplit_once('.').unwrap();
    assert_eq!(input, expected_input);
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(proof(input, &signature).unwrap().header_value(), figure_2);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc9449_resource_request_proof_is_reproduced_byte_for_byte() {
    // RFC 9449 7.1 Figure 13 (decoded in Figure 14): a GET with `ath`.
    let figure_13 = unwrap_lines(
        r"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik\
        VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR\
        nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE\
        QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIj\
        oiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0Z\
        WRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNF\
        c05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71E\
        OptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA",
    );
    let token = AccessToken::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into());
    let target = url("https://resource.example.org/protectedresource");
    let claims = ProofClaims {
        jti: "e1j3V_bKic8-LAEB".into(),
        ..ProofClaims::new("GET", &target, 1562262618, &mut |_| {}).unwrap()
    }
    .with_ath(ath(&Sha256::digest(ath_input(&token))).unwrap());
    let input = signing_input(&ProofHeader::es256(rfc_jwk()), &claims);
    let (expected_input, signature) = figure_13.rsplit_once('.').unwrap();
    assert_eq!(input, expected_input);
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(proof(input, &signature).unwrap().header_value(), figure_13);
}

/// The decoded header and claims of a signing input.
fn decoded(input: &str) -> (Value, Value) {
    let (header, claims) = input.split_once('.').unwrap();
    let json = |part: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
    (json(header), json(claims))
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn header_is_es256_dpop_jwt_with_the_public_members_only() {
    let exported = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{Y}","ext":true,"key_ops":["verify"],"kid":"k1"}}"#
    );
    let header = ProofHeader::es256(PublicJwk::from_json(&exported).unwrap());
    let claims = ProofClaims::new("GET", &url("https://api.example/"), 1, &mut |_| {}).unwrap();
    let (header, _) = decoded(&signing_input(&header, &claims));
    assert_eq!(
        header,
        serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": {"kty": "EC", "crv": "P-256", "x": X, "y": Y},
        })
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn claims_carry_a_fresh_jti_and_optional_ath_and_nonce() {
    let mut calls = 0;
    let mut random = |buf: &mut [u8]| {
        calls += 1;
        assert_eq!(buf.len(), JTI_OCTETS);
        buf.fill(0xfb);
    };
    let target = url("https://api.example/v1/items?page=2#top");
    let claims = ProofClaims::new("DELETE", &target, 1_700_000_000, &mut random).unwrap();
    assert_eq!(calls, 1);
    let header = ProofHeader::es256(rfc_jwk());
    let (_, plain) = decoded(&signing_input(&header, &claims));
    assert_eq!(
        plain,
        serde_json::json!({
            "jti": "-_v7-_v7-_v7-_v7-_v7-w",
            "htm": "DELETE",
            "htu": "https://api.example/v1/items",
            "iat": 1_700_000_000u64,
        })
    );
    let nonce = DpopNonce::parse("eyJ7S_zG.eyJH0-Z.HX4w-7v").unwrap();
    let full = claims
        .clone()
        .with_ath("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo".into())
        .with_nonce(Some(&nonce));
    let (_, full) = decoded(&signing_input(&header, &full));
    assert_eq!(full["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    assert_eq!(full["nonce"], "eyJ7S_zG.eyJH0-Z.HX4w-7v");
    // No nonce is no member at all, not `null`.
    let (_, none) = decoded(&signing_input(&header, &claims.with_nonce(None)));
    assert_eq!(none.as_object().unwrap().len(), 4);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc9449_figure_21_nonce_claims() {
    let claims =
        figure_2_claims().with_nonce(DpopNonce::parse("eyJ7S_zG.eyJH0-Z.HX4w-7v").as_ref());
    assert_eq!(
        claims.to_json(),
        r#"{"jti":"-BwC3ESc6acc2lTc","htm":"POST","htu":"https://server.example.com/token","iat":1562262616,"nonce":"eyJ7S_zG.eyJH0-Z.HX4w-7v"}"#
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn htm_must_be_an_http_method() {
    let target = url("https://api.example/");
    for good in ["GET", "POST", "PATCH", "M-SEARCH", "get"] {
        let claims = ProofClaims::new(good, &target, 1, &mut |_| {}).unwrap();
        assert_eq!(claims.htm, good);
    }
    for bad in ["", "GET /", "PO\nST", "G\"T", "GÉT"] {
        assert_eq!(
            ProofClaims::new(bad, &target, 1, &mut |_| {}),
            Err(DpopError::BadMethod { method: bad.into() })
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn htu_is_the_target_uri_without_query_fragment_or_user_info() {
    for (given, expected) in [
        (
            "https://server.example.com/token",
            "https://server.example.com/token",
        ),
        // RFC 9449 4.2: "without query and fragment parts".
        (
            "https://api.example/v1/items?page=2&q=a#frag",
            "https://api.example/v1/items",
        ),
        ("https://api.example/v1/?#", "https://api.example/v1/"),
        // RFC 9110 7.1: no user info in a target URI.
        (
            "https://user:secret@api.example/me",
            "https://api.example/me",
        ),
        // RFC 3986 6.2.2.1 case, 6.2.2.3 dot segments, 6.2.3 default port and empty path.
        (
            "HTTPS://API.Example.COM:443/a/./b/../c",
            "https://api.example.com/a/c",
        ),
        ("http://app.example:80", "http://app.example/"),
        ("http://127.0.0.1:9000/token", "http://127.0.0.1:9000/token"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        // The build's IDNA is ASCII-only (idna_adapter 1.0), so international hosts arrive as punycode.
        (
            "https://XN--BCHER-KVA.example/straße",
            "https://xn--bcher-kva.example/stra%C3%9Fe",
        ),
        // Percent-encodings stay as the browser sends them (see `htu`).
        (
            "https://api.example/%7euser/a%2fb",
            "https://api.example/%7euser/a%2fb",
        ),
    ] {
        assert_eq!(htu(&url(given)).unwrap(), expected, "{given}");
    }
    for (given, scheme) in [
        ("data:text/plain,x", "data"),
        ("file:///etc/passwd", "file"),
        ("wss://api.example/socket", "wss"),
        ("blob:https://app.example/0a1b", "blob"),
    ] {
        assert_eq!(
            htu(&url(given)),
            Err(DpopError::NotHttp {
                scheme: scheme.into()
            })
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_public_key_must_be_a_p256_public_jwk() {
    let key = |extra: &str| format!(r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{Y}"{extra}}}"#);
    assert_eq!(PublicJwk::from_json(&key("")), Ok(rfc_jwk()));
    // RFC 9449 4.2: "It MUST NOT contain a private key".
    for member in PRIVATE_MEMBERS {
        assert_eq!(
            PublicJwk::from_json(&key(&format!(r#","{member}":"c2VjcmV0""#))),
            Err(DpopError::PrivateMember { member })
        );
    }
    for wrong in [
        format!(r#"{{"kty":"EC","crv":"P-384","x":"{X}","y":"{Y}"}}"#),
        format!(r#"{{"kty":"RSA","crv":"P-256","x":"{X}","y":"{Y}"}}"#),
        format!(r#"{{"crv":"P-256","x":"{X}","y":"{Y}"}}"#),
        format!(r#"{{"kty":"EC","x":"{X}","y":"{Y}"}}"#),
        format!(r#"{{"kty":"ec","crv":"p-256","x":"{X}","y":"{Y}"}}"#),
    ] {
        assert_eq!(
            PublicJwk::from_json(&wrong),
            Err(DpopError::NotP256),
            "{wrong}"
        );
    }
    for bad in ["", "[]", "null", "{", r#""EC""#] {
        assert_eq!(
            PublicJwk::from_json(bad),
            Err(DpopError::KeyNotJson),
            "{bad}"
        );
    }
    let x = |value: &str| PublicJwk::new(value, Y);
    let short = &X[..42];
    for bad in [
        "",
        short,
        "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs=",
        "l8tFrhx+34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
        "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFt",
        "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFsAA",
        "l8tFrhx-34tV3hRI\"RDY9zCkDlpBhF42UQUfWVAWBFs",
    ] {
        assert_eq!(
            x(bad),
            Err(DpopError::BadCoordinate { member: "x" }),
            "{bad}"
        );
    }
    assert_eq!(
        PublicJwk::new(X, "short"),
        Err(DpopError::BadCoordinate { member: "y" })
    );
    let missing_y = format!(r#"{{"kty":"EC","crv":"P-256","x":"{X}"}}"#);
    assert_eq!(
        PublicJwk::from_json(&missing_y),
        Err(DpopError::BadCoordinate { member: "y" })
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn proof_needs_a_raw_es256_signature_and_is_redacted() {
    let input = "aGVhZGVy.Y2xhaW1z".to_owned();
    let proof_value = proof(input.clone(), &[0xfb; 64]).unwrap();
    assert_eq!(
        proof_value.header_value(),
        format!("{input}.{}", "-_v7".repeat(21) + "-w")
    );
    assert_eq!(format!("{proof_value:?}"), "DpopProof([redacted])");
    // A DER-encoded ECDSA signature (what some APIs give) is 70-72 octets; ES384's is 96.
    for len in [0, 63, 65, 70, 72, 96] {
        assert_eq!(
            proof(input.clone(), &vec![1; len]),
            Err(DpopError::SignatureLength { len })
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn nonces_follow_rfc9449_8_1_syntax() {
    // RFC 9449 Figures 20 and 23.
    for good in [
        "eyJ7S_zG.eyJH0-Z.HX4w-7v",
        "eyJ7S_zG.eyJbYu3.xQmBj-1",
        "!",
        "a,b",
        "~[]{}",
    ] {
        assert_eq!(DpopNonce::parse(good).map(|n| n.0), Some(good.to_owned()));
    }
    for bad in [
        "",
        " ",
        "a b",
        "a, b",
        "a\"b",
        "a\\b",
        "a\tb",
        "é",
        "a\r\nX-Evil: 1",
        "\u{7f}",
    ] {
        assert_eq!(DpopNonce::parse(bad), None, "{bad:?}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn nonces_are_kept_per_server_and_origin() {
    let token = url("https://id.example/realms/demo/token");
    let revoke = url("https://id.example:443/realms/demo/revoke?x=1");
    let api = url("https://api.example/v1/me");
    let other_api = url("https://api.example:8443/v1/me");
    let mut nonces = Nonces::default();
    assert_eq!(nonces.for_request(Server::Authorization, &token), None);

    assert!(nonces.remember(Server::Authorization, &token, Some("as-1")));
    assert!(nonces.remember(Server::Resource, &api, Some("rs-1")));
    let nonce = |nonces: &Nonces, server, url| {
        nonces
            .for_request(server, url)
            .map(|n| n.as_str().to_owned())
    };
    // The same origin shares the authorization server's nonce, whichever endpoint sent it.
    assert_eq!(
        nonce(&nonces, Server::Authorization, &revoke).as_deref(),
        Some("as-1")
    );
    assert_eq!(
        nonce(&nonces, Server::Resource, &api).as_deref(),
        Some("rs-1")
    );
    // Another origin, or the other role at the same origin, has none of its own yet (RFC 9449 9).
    assert_eq!(nonce(&nonces, Server::Resource, &other_api), None);
    assert_eq!(nonce(&nonces, Server::Resource, &token), None);
    assert_eq!(nonce(&nonces, Server::Authorization, &api), None);

    // The same nonce again is not a new one (a challenge carrying it is not worth a retry), and changes nothing.
    assert!(!nonces.remember(Server::Authorization, &token, Some("as-1")));
    assert!(!nonces.remember(Server::Resource, &api, Some("rs-1")));
    assert_eq!(
        nonce(&nonces, Server::Authorization, &token).as_deref(),
        Some("as-1")
    );

    // RFC 9449 8.2: the latest one wins; a response without one (or with a malformed one) keeps it.
    assert!(nonces.remember(Server::Authorization, &revoke, Some("as-2")));
    assert!(!nonces.remember(Server::Authorization, &token, None));
    assert!(!nonces.remember(Server::Authorization, &token, Some("as 3")));
    assert_eq!(
        nonce(&nonces, Server::Authorization, &token).as_deref(),
        Some("as-2")
    );

    // Opaque origins all serialize as "null": nothing is kept for them.
    let opaque = url("data:text/plain,x");
    assert!(!nonces.remember(Server::Resource, &opaque, Some("n")));
    assert_eq!(
        nonces.for_request(Server::Resource, &url("blob:null/1")),
        None
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn recognises_the_token_endpoint_nonce_challenge() {
    // RFC 9449 Figure 20.
    let figure_20 = br#"{
        "error": "use_dpop_nonce",
        "error_description": "Authorization server requires nonce in DPoP proof"
    }"#;
    assert!(is_token_nonce_challenge(400, figure_20));
    assert!(is_token_nonce_challenge(
        400,
        br#"{"error":"use_dpop_nonce"}"#
    ));
    assert!(!is_token_nonce_challenge(401, figure_20));
    assert!(!is_token_nonce_challenge(200, figure_20));
    for body in [
        &br#"{"error":"invalid_dpop_proof"}"#[..],
        br#"{"error":"invalid_grant","error_description":"use_dpop_nonce"}"#,
        br#"{"error":"USE_DPOP_NONCE"}"#,
        br#"{"error":["use_dpop_nonce"]}"#,
        b"use_dpop_nonce",
        b"",
    ] {
        assert!(
            !is_token_nonce_challenge(400, body),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn recognises_the_resource_nonce_challenge() {
    // RFC 9449 Figure 24.
    let figure_24 = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
    assert!(is_resource_nonce_challenge(401, Some(figure_24)));
    assert!(is_resource_nonce_challenge(
        401,
        Some(r#"Bearer realm="api", dpop algs="ES256", error=use_dpop_nonce"#)
    ));
    assert!(!is_resource_nonce_challenge(403, Some(figure_24)));
    assert!(!is_resource_nonce_challenge(401, None));
    for header in [
        r#"DPoP algs="ES256 PS256""#,
        r#"DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256""#,
        r#"Bearer error="use_dpop_nonce""#,
        r#"Bearer error="use_dpop_nonce", DPoP algs="ES256""#,
        r#"DPoP error="use_dpop_nonce"#,
        "",
    ] {
        assert!(!is_resource_nonce_challenge(401, Some(header)), "{header}");
    }
}
