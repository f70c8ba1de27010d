//! Reusable pieces of the UI; each depends on `crate::auth` only.

pub mod auth_error;
pub mod header;
pub mod link;
pub mod loading;
pub mod renewal_status;
pub mod require_auth;
pub mod session_status;
pub mod sign_in_button;
pub mod signed_out_notice;
pub mod time;
