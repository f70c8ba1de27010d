//! The redirect URL is the first thing an attacker controls: any page can send the browser to `/callback?...`.
//! Parses it as the app does, then checks the response against a fixed pending sign-in, with and without RFC 9207
//! support in the metadata and with no pending record at all. Besides "never panics", it asserts the promise of
//! `verify_callback`: a code comes back only for our state and, when the provider sends one, our issuer.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use url::Url;
use oidc_spa_core::{CallbackError, CallbackResponse, parse_callback, verify_callback};

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    // The input as the query of our redirect URI (the common case), and as a whole URL when it is one.
    if let Ok(url) = Url::parse(&format!("{}?{input}", common::REDIRECT_URI)) {
        check(&url);
    }
    if let Ok(url) = Url::parse(&input) {
        check(&url);
    }
});

fn check(url: &Url) {
    let Ok(response) = parse_callback(url) else {
        return;
    };
    if let CallbackResponse::Code { code, state, .. } = &response {
        assert!(!code.secret().is_empty(), "empty code accepted");
        assert!(!state.secret().is_empty(), "empty state accepted");
    }

    let config = common::config();
    let pending = common::pending();

    // No record for this state (never issued, or already used): always refused.
    for iss_parameter in [false, true] {
        let metadata = common::metadata(iss_parameter);
        assert_eq!(
            verify_callback(response.clone(), None, &config, &metadata, common::NOW + 5),
            Err(CallbackError::UnknownState),
        );

        let verdict = verify_callback(
            response.clone(),
            Some(&pending),
            &config,
            &metadata,
            common::NOW + 5,
        );
        if let Ok(code) = verdict {
            let CallbackResponse::Code {
                code: sent,
                state,
                iss,
            } = &response
            else {
                panic!("an error response yielded a code");
            };
            assert_eq!(&code, sent);
            assert_eq!(
                state.secret(),
                common::STATE,
                "code accepted for a foreign state"
            );
            match iss {
                Some(iss) => assert_eq!(iss, common::ISSUER, "code accepted from a foreign issuer"),
                None => assert!(!iss_parameter, "code accepted without the promised `iss`"),
            }
        }
    }
}
