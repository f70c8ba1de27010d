//! Stage 6, sender constraint and resource requests: DPoP proofs and nonces (RFC 9449), which origins may receive
//! the access token, and the `WWW-Authenticate` challenges a resource server answers with.

pub mod challenge;
pub mod dpop;
pub mod resource;
