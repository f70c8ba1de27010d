//! The lineage of a rotated refresh token, as tabs share it (RFC 9700 4.14.2): a public name for a used-up token,
//! and the key under which its successor session is handed to a tab that still holds it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::secret::RefreshToken;

/// A name for a refresh token that tabs can share without sharing the token: SHA-256, base64url.
pub fn fingerprint(token: &RefreshToken) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.secret().as_bytes()))
}

/// The AES-256 key under which tabs hand each other the session that replaced `token`: only a tab that held the
/// token can derive it. A separate derivation from [`fingerprint`], which is public among the tabs.
pub fn channel_key(token: &RefreshToken) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"yew-oidc tab channel key v1\0");
    hash.update(token.secret().as_bytes());
    hash.finalize().into()
}

/// A refresh token this session used up by rotation: its public name, and the key to hand its successor over.
/// `Debug` shows the fingerprint only: the key opens the successor session.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Consumed {
    pub fingerprint: String,
    /// [`channel_key`] of the used-up token, base64url.
    pub key: String,
}

impl Consumed {
    pub fn of(token: &RefreshToken) -> Consumed {
        Consumed {
            fingerprint: fingerprint(token),
            key: URL_SAFE_NO_PAD.encode(channel_key(token)),
        }
    }

    pub fn key(&self) -> Option<[u8; 32]> {
        URL_SAFE_NO_PAD.decode(&self.key).ok()?.try_into().ok()
    }
}

impl std::fmt::Debug for Consumed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumed")
            .field("fingerprint", &self.fingerprint)
            .field("key", &format_args!("[redacted]"))
            .finish()
    }
}
