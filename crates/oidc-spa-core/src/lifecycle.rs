//! Stage 4, the session and its renewal: the signed-in session, when to renew it, what a failed renewal means, the
//! lineage of rotated refresh tokens and what tabs tell each other about it.

pub mod fault;
pub mod lineage;
pub mod renewal;
pub mod session;
pub mod tab_message;
