//! Browser sign-in for Yew apps with OpenID Connect: the module tree.
//!
//! Dependencies point one way: UI (`app`, `pages`, `components`) → `auth` → `browser` → `oidc`.

pub mod oidc;
