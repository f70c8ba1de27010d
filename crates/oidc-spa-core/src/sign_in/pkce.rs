//! PKCE S256 code challenge (RFC 7636 4.2). Owns the transform only; the verifier's generation lives in `secret`.
//! Must not touch I/O or any browser API.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::secret::PkceVerifier;

/// The only method we send. `plain` is never used: RFC 7636 4.2 allows it only when S256 is impossible, and RFC 9700
/// 2.1.1 says clients SHOULD use S256.
pub const CODE_CHALLENGE_METHOD: &str = "S256";

/// RFC 7636 4.2: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
///
/// Computed with `sha2` directly rather than `oauth2::PkceCodeChallenge::from_code_verifier_sha256`, which asserts
/// (panics) on a verifier outside 43..=128 characters; ours are always 43, but a panic path is not worth keeping.
pub fn code_challenge_s256(verifier: &PkceVerifier) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.secret().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rfc7636_appendix_b_vector() {
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            code_challenge_s256(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn agrees_with_the_oauth2_crate() {
        let verifier = PkceVerifier::generate(&mut |buf: &mut [u8]| buf.fill(7));
        let theirs = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
            &oauth2::PkceCodeVerifier::new(verifier.secret().to_owned()),
        );
        assert_eq!(code_challenge_s256(&verifier), theirs.as_str());
        assert_eq!(theirs.method().as_str(), CODE_CHALLENGE_METHOD);
    }
}
