//! What the app's tabs tell each other over a BroadcastChannel: a renewed session (so a tab holding the same
//! rotated refresh token adopts the new one instead of reusing the old), a request for such a session from a tab
//! that opened later, and a provider sign-out (so every tab shows the user signed out: the provider session
//! they relied on is gone).
//!
//! Any script of the origin can listen on the channel, so a session never crosses it in clear: it is sealed
//! with AES-GCM under a key derived from the refresh token it replaces, which only a tab that held that token can
//! derive.

use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AuthAction, SignedOutReason, dpop};
use crate::browser::{channel, clock, storage, webcrypto};
use crate::oidc::renewal::{channel_key, fingerprint};
use crate::oidc::session::Session;
use crate::oidc::stored::FromJson;
pub use crate::oidc::tab_message::TabMessage;

/// The BroadcastChannel of this app's tabs, in its namespace: another app of the origin neither hears nor tells it.
pub fn channel_name() -> String {
    storage::scoped("tabs")
}

pub fn post(message: &TabMessage) {
    if let Ok(text) = serde_json::to_string(message) {
        channel::post_once(&channel_name(), &text);
    }
}

/// Seals `session` under `key` and posts it as the successor of the token named `consumed`. Best effort.
pub async fn post_successor(consumed: String, key: &[u8; 32], session: &Session) {
    let Ok(plain) = serde_json::to_vec(session) else {
        return;
    };
    let mut iv = [0u8; 12];
    clock::random(&mut iv);
    if let Ok(sealed) = webcrypto::seal(key, &iv, &plain).await {
        post(&TabMessage::Renewed {
            consumed,
            iv: URL_SAFE_NO_PAD.encode(iv),
            sealed: URL_SAFE_NO_PAD.encode(sealed),
        });
    }
}

/// What a message from another tab means for this one, if anything. Unreadable messages are ignored.
pub async fn receive(text: &str) -> Option<AuthAction> {
    let message = TabMessage::read(text.as_bytes())?;
    let held = storage::load_session().found()?;
    match message {
        TabMessage::Renewed {
            consumed,
            iv,
            sealed,
        } => {
            let refresh_token = held.refresh_token.as_ref()?;
            if fingerprint(refresh_token) != consumed {
                return None;
            }
            let iv = URL_SAFE_NO_PAD.decode(iv).ok()?;
            let sealed = URL_SAFE_NO_PAD.decode(sealed).ok()?;
            let plain = webcrypto::open(&channel_key(refresh_token), &iv, &sealed).await?;
            let session = Session::from_json_text(&plain)?;
            // A sign-out (or anything else) may have replaced the held session while the message was opened: only
            // the very session the successor replaces is replaced. Nothing is awaited from here to the write.
            let still_held = storage::load_session().found().is_some_and(|now| {
                now.refresh_token == held.refresh_token && now.access_token == held.access_token
            });
            if !still_held {
                return None;
            }
            // Also reached by this tab's own broadcasts: the session it already holds is not news.
            let ours = session.access_token != held.access_token
                && session.issuer == held.issuer
                && session.client_id == held.client_id
                && session.claims.sub == held.claims.sub;
            if !ours {
                return None;
            }
            storage::save_session(&session).ok()?;
            Some(AuthAction::Renewed(Rc::new(session)))
        }
        TabMessage::Wanted { consumed } => {
            let entry = held
                .consumed
                .iter()
                .find(|entry| entry.fingerprint == consumed)?;
            let key = entry.key()?;
            post_successor(consumed, &key, &held).await;
            None
        }
        TabMessage::ProviderSignedOut { issuer } if issuer == held.issuer => {
            dpop::clear_storage();
            // Told before the provider answered: this tab's session ends, with no claim about the provider's.
            Some(AuthAction::SignedOut(SignedOutReason::ElsewhereAtProvider))
        }
        TabMessage::ProviderSignedOut { .. } => None,
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use futures::future::join;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::oidc::testing::stored_session as session;

    /// What another tab posts after renewing `held`'s refresh token into `successor`.
    async fn successor_message(held: &Session, successor: &Session) -> String {
        let used = held.refresh_token.as_ref().unwrap();
        let iv = [7u8; 12];
        let plain = serde_json::to_vec(successor).unwrap();
        let sealed = webcrypto::seal(&channel_key(used), &iv, &plain)
            .await
            .unwrap();
        serde_json::to_string(&TabMessage::Renewed {
            consumed: fingerprint(used),
            iv: URL_SAFE_NO_PAD.encode(iv),
            sealed: URL_SAFE_NO_PAD.encode(sealed),
        })
        .unwrap()
    }

    #[wasm_bindgen_test]
    async fn a_successor_is_adopted_unless_a_sign_out_came_while_it_was_opened() {
        storage::clear_all();
        let (held, successor) = (session("rt-1", "at-1"), session("rt-2", "at-2"));
        let message = successor_message(&held, &successor).await;

        // The control: the tab holding the used-up token adopts its successor.
        storage::save_session(&held).unwrap();
        assert!(matches!(
            receive(&message).await,
            Some(AuthAction::Renewed(_))
        ));
        assert_eq!(storage::load_session(), storage::Stored::Found(successor));

        // A sign-out while the message is being decrypted: nothing may be written back afterwards.
        storage::save_session(&held).unwrap();
        let sign_out = async { storage::clear_all() };
        let (adopted, ()) = join(receive(&message), sign_out).await;
        assert!(adopted.is_none(), "a signed-out tab adopted a session");
        assert_eq!(storage::load_session(), storage::Stored::Missing);
    }
}
