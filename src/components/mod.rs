//! The demo's views, and the library's it uses.

pub mod header;
pub mod link;
pub mod renewal_status;
pub mod session_status;
pub mod time;

pub use yew_oidc_spa::components::{
    auth_error, loading, require_auth, sign_in_button, signed_out_notice,
};
