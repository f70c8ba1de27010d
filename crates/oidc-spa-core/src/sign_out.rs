//! Stage 5, sign-out: RP-Initiated Logout (the end-session request and the return's check) and token revocation.

pub mod logout;
pub mod revocation;
