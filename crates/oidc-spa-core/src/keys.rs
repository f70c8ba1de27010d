//! Stage 2, keys and the ID token: the provider's signing keys (JWKS) and the ID token's decoding, algorithm policy
//! and claim checks.

pub mod id_token;
pub mod jwks;
