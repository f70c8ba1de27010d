//! What the app's tabs tell each other over a BroadcastChannel: a renewed session (so a tab holding the same
//! rotated refresh token adopts the new one instead of reusing the old), a request for such a session from a tab
//! that opened later, and a provider sign-out (so every tab shows the user signed out: the provider session
//! they relied on is gone).
//!
//! The channel is same-origin only, the same trust boundary as sessionStorage.

use serde::{Deserialize, Serialize};

use super::{AuthAction, SignedOutReason};
use crate::browser::{channel, storage};
use crate::oidc::renewal::fingerprint;
use crate::oidc::session::Session;

pub const CHANNEL: &str = "yew-oidc";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TabMessage {
    /// `session` replaces every session whose refresh token has this fingerprint (it was just used up).
    Renewed {
        consumed: String,
        session: Box<Session>,
    },
    /// A tab holds a refresh token that another tab used up: whoever has its successor, please send it.
    Wanted { consumed: String },
    /// The provider session of `issuer` has ended.
    ProviderSignedOut { issuer: String },
}

pub fn post(message: &TabMessage) {
    if let Ok(text) = serde_json::to_string(message) {
        channel::post_once(CHANNEL, &text);
    }
}

/// What a message from another tab means for this one, if anything. Unreadable messages are ignored.
pub fn receive(text: &str) -> Option<AuthAction> {
    let message: TabMessage = serde_json::from_str(text).ok()?;
    let held = storage::load_session().found()?;
    match message {
        TabMessage::Renewed { consumed, session } => {
            // Also reached by this tab's own broadcasts: the session it already holds is not news.
            let ours = held.refresh_token.as_ref().map(fingerprint)? == consumed
                && session.access_token != held.access_token
                && session.issuer == held.issuer
                && session.client_id == held.client_id
                && session.claims.sub == held.claims.sub;
            if !ours {
                return None;
            }
            storage::save_session(&session).ok()?;
            Some(AuthAction::Renewed((*session).into()))
        }
        TabMessage::Wanted { consumed } => {
            if held.consumed.contains(&consumed) {
                post(&TabMessage::Renewed {
                    consumed,
                    session: Box::new(held),
                });
            }
            None
        }
        TabMessage::ProviderSignedOut { issuer } if issuer == held.issuer => {
            storage::clear_all();
            Some(AuthAction::SignedOut(SignedOutReason::Provider))
        }
        TabMessage::ProviderSignedOut { .. } => None,
    }
}
