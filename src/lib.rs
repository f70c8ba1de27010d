//! The demo app of `yew-oidc-spa`: its routes, pages and the views only it shows (the header, the session panel). It
//! uses the library exactly as a dependent would.

pub mod app;
pub mod components;
pub mod pages;
pub mod route;
pub mod settings;

use yew_oidc_spa::{auth, oidc};
