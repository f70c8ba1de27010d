//! The provider's JSON documents and the app's own configuration file: discovery metadata, the key set, and
//! `config.json`. Feeds the same bytes to all three parsers, then, when the key set parses, asks for a key for
//! every algorithm, with no `kid` and with the header the input also parses as (if it does). Besides "never
//! panics", it asserts what the parsers promise and that cached metadata and key sets read back unchanged.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oidc_spa_core::config::MAX_LEEWAY_SECONDS;
use oidc_spa_core::jwks::MIN_RSA_MODULUS_BITS;
use oidc_spa_core::{
    Config, JoseHeader, JwkSet, ProviderMetadata, SigningAlgorithm, discovery_url, parse_jwks,
    parse_metadata, select_key,
};

fuzz_target!(|data: &[u8]| {
    metadata(data);
    jwks(data);
    if let Ok(text) = std::str::from_utf8(data) {
        config(text);
    }
});

fn metadata(data: &[u8]) {
    let Ok(metadata) = parse_metadata(data, common::ISSUER) else {
        return;
    };
    // OIDC Discovery 4.3: only the configured issuer's document is accepted.
    assert_eq!(metadata.issuer, common::ISSUER);
    // The app caches the metadata in sessionStorage and re-validates the copy it reads back.
    let cached = serde_json::to_string(&metadata).expect("metadata serializes");
    let restored: ProviderMetadata =
        serde_json::from_str(&cached).expect("cached metadata reads back");
    assert_eq!(restored, metadata);
    restored
        .validate(common::ISSUER)
        .expect("cached metadata still valid");
}

fn jwks(data: &[u8]) {
    let Ok(set) = parse_jwks(data) else {
        return;
    };
    let cached = serde_json::to_string(&set).expect("key set serializes");
    let restored: JwkSet = serde_json::from_str(&cached).expect("cached key set reads back");
    assert_eq!(restored, set);

    let mut headers = vec![None];
    if let Ok(header) = serde_json::from_slice::<JoseHeader>(data) {
        headers.push(Some(header));
    }
    for header in headers {
        for name in common::ALG_NAMES {
            let alg = SigningAlgorithm::from_name(name).expect("known algorithm");
            let header = header.clone().unwrap_or_else(|| JoseHeader {
                alg: (*name).to_owned(),
                kid: None,
                typ: None,
            });
            match select_key(&set, &header, alg) {
                Ok(key) => {
                    assert!(set.keys.contains(key));
                    if let Some(kid) = &header.kid {
                        assert_eq!(key.kid.as_ref(), Some(kid), "key chosen for another kid");
                    }
                    // RFC 7517 4.2-4.4: a key restricted to another use or algorithm is never chosen.
                    assert!(key.use_.as_deref().is_none_or(|use_| use_ == "sig"));
                    assert!(key.alg.as_deref().is_none_or(|key_alg| key_alg == *name));
                    // RFC 7518 3.3, 3.5: an RSA key has at least 2048 bits.
                    if key.kty == "RSA" {
                        assert!(
                            key.rsa_modulus_bits()
                                .is_some_and(|bits| bits >= MIN_RSA_MODULUS_BITS)
                        );
                    }
                }
                Err(error) => {
                    let _ = error.may_be_rotation();
                }
            }
        }
    }
}

fn config(text: &str) {
    let Ok(config) = Config::from_json(text, &common::app_base()) else {
        return;
    };
    // OIDC Core 3.1.2.1: the scope always asks for `openid`.
    assert!(config.scope.split(' ').any(|scope| scope == "openid"));
    assert!(config.leeway_seconds <= MAX_LEEWAY_SECONDS);
    assert!(config.redirect_uri.fragment().is_none());
    assert!(config.post_logout_redirect_uri.fragment().is_none());
    // Each trusted audience is a non-empty string without surrounding whitespace, like every other field.
    assert!(
        config
            .trusted_audiences
            .iter()
            .all(|aud| !aud.is_empty() && aud.trim() == aud)
    );
    // An accepted issuer must lead to a discovery document.
    discovery_url(&config.issuer).expect("accepted issuer has a discovery URL");
}
