//! One page per route.

pub mod api;
pub mod callback;
pub mod home;
pub mod not_found;
pub mod profile;
pub mod providers;
