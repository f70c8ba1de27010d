//! Stage 3, sign-in: the authorization request with PKCE (pushed first where the provider takes it), the callback, the token request and its response, UserInfo.

pub mod authorize;
pub mod callback;
pub mod par;
pub mod pkce;
pub mod token;
pub mod userinfo;
