//! Stage 3, sign-in: the authorization request with PKCE, the callback, the token request and its response, UserInfo.

pub mod authorize;
pub mod callback;
pub mod pkce;
pub mod token;
pub mod userinfo;
