//! Views the auth layer offers apps: the guard [`RequireAuth`](require_auth::RequireAuth) and the default views it
//! shows (loading, a failed sign-in, a signed-out notice, the sign-in button). Each depends on `crate::auth` only.

pub mod auth_error;
pub mod loading;
pub mod require_auth;
pub mod sign_in_button;
pub mod signed_out_notice;
