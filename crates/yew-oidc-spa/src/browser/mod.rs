//! Thin browser effects: sessionStorage, the address bar, fetch, the clock, randomness and WebCrypto.
//!
//! Nothing here makes a protocol decision; every rule lives in `crate::oidc`.

pub mod channel;
pub mod clock;
pub mod dpop_key;
pub mod http;
pub mod location;
pub mod locks;
pub mod popup;
pub mod storage;
pub mod wake;
pub mod webcrypto;
