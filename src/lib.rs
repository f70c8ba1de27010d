//! Browser sign-in for Yew apps with OpenID Connect: the module tree.
//!
//! Dependencies point one way: UI (`app`, `pages`, `components`) → `auth` → `browser` → `oidc`.

pub mod app;
pub mod auth;
pub mod browser;
pub mod components;
pub mod oidc;
pub mod pages;
