//! Secret newtypes (state, nonce, PKCE verifier, code, tokens) and their generation from injected randomness.
//! Owns redaction: `Debug` never shows the value. Must not touch I/O, the clock or any browser API.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Random octets behind every generated secret. RFC 7636 4.1 recommends a 32-octet sequence for the verifier, which
/// base64url-encodes to 43 characters; `state` and `nonce` reuse it (256 bits, well above the 128 the issue requires).
pub const SECRET_OCTETS: usize = 32;

macro_rules! secret_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(secret: String) -> Self {
                Self(secret)
            }

            /// The value itself. Callers put it on the wire or in storage, never in a log or an error message.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Gives up the value, for handing it to another newtype (e.g. oauth2's) without a copy.
            pub fn into_secret(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

macro_rules! generated_secret {
    ($name:ident) => {
        impl $name {
            /// 32 octets from `random`, base64url without padding (43 characters).
            pub fn generate(random: &mut dyn FnMut(&mut [u8])) -> Self {
                Self(random_base64url(random))
            }
        }
    };
}

secret_newtype!(
    /// The `state` of an authorization or logout request: CSRF protection, single use (RFC 9700 4.7.1).
    State
);
secret_newtype!(
    /// The `nonce` bound into the ID token (OIDC Core 3.1.2.1, 3.1.3.7 step 11; RFC 9700 4.5.3.2).
    Nonce
);
secret_newtype!(
    /// The PKCE `code_verifier` (RFC 7636 4.1).
    PkceVerifier
);
secret_newtype!(
    /// The authorization `code` from the callback (RFC 6749 4.1.2).
    AuthorizationCode
);
secret_newtype!(
    /// A bearer access token (RFC 6750).
    AccessToken
);
secret_newtype!(
    /// A refresh token (RFC 6749 1.5).
    RefreshToken
);
secret_newtype!(
    /// The compact-serialized ID token (OIDC Core 2), kept for validation and as `id_token_hint`.
    IdToken
);

generated_secret!(State);
generated_secret!(Nonce);
generated_secret!(PkceVerifier);

fn random_base64url(random: &mut dyn FnMut(&mut [u8])) -> String {
    let mut octets = [0u8; SECRET_OCTETS];
    random(&mut octets);
    URL_SAFE_NO_PAD.encode(octets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn debug_is_redacted_for_every_secret() {
        let value = "very-secret-value".to_string();
        let printed = [
            format!("{:?}", State::new(value.clone())),
            format!("{:?}", Nonce::new(value.clone())),
            format!("{:?}", PkceVerifier::new(value.clone())),
            format!("{:?}", AuthorizationCode::new(value.clone())),
            format!("{:?}", AccessToken::new(value.clone())),
            format!("{:?}", RefreshToken::new(value.clone())),
            format!("{:?}", IdToken::new(value.clone())),
        ];
        for line in &printed {
            assert!(!line.contains(&value), "{line}");
            assert!(line.ends_with("([redacted])"), "{line}");
        }
        assert_eq!(printed[0], "State([redacted])");
        assert_eq!(printed[6], "IdToken([redacted])");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn generate_uses_32_random_octets_as_unpadded_base64url() {
        let mut calls = 0;
        let mut random = |buf: &mut [u8]| {
            calls += 1;
            assert_eq!(buf.len(), 32);
            buf.fill(0xfb);
        };
        let verifier = PkceVerifier::generate(&mut random);
        assert_eq!(calls, 1);
        // 0xfb repeated encodes to `-` and `_` characters: proves the URL-safe alphabet, and no `=` padding.
        assert_eq!(verifier.secret().len(), 43);
        assert_eq!(
            verifier.secret(),
            "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s"
        );
        let mut zero = |buf: &mut [u8]| buf.fill(0);
        assert_eq!(State::generate(&mut zero).secret(), "A".repeat(43));
        assert_eq!(Nonce::generate(&mut zero).secret().len(), 43);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn serde_is_transparent() {
        let state = State::new("abc".into());
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(json, "\"abc\"");
        let back: State = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
    }
}
