//! sessionStorage behind namespaced keys: the session, the cached provider metadata, pending sign-ins
//! (one per `state`, removed when read) and the pending provider sign-out.
//!
//! Every key starts with [`PREFIX`], so a sign-out can remove exactly what the app wrote and nothing
//! else on the origin. Unreadable values are deleted and reported as absent: garbage never crashes.

use gloo_storage::{LocalStorage, SessionStorage, Storage};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use url::Url;

use crate::oidc::authorize::PendingSignIn;
use crate::oidc::discovery::ProviderMetadata;
use crate::oidc::jwks::JwkSet;
use crate::oidc::secret::State;
use crate::oidc::session::Session;

/// The namespace of every key this app writes.
pub const PREFIX: &str = "yew-oidc:";

/// The storage keys, in one place.
pub mod keys {
    pub const SESSION: &str = "yew-oidc:session";
    pub const METADATA: &str = "yew-oidc:metadata";
    pub const JWKS: &str = "yew-oidc:jwks";
    pub const PENDING: &str = "yew-oidc:pending:";
    pub const LOGOUT_STATE: &str = "yew-oidc:logout-state";
    /// In localStorage, shared by every tab: fingerprints (never tokens) of used-up refresh tokens.
    pub const CONSUMED: &str = "yew-oidc:consumed";
}

/// How many used-up refresh-token fingerprints the origin remembers.
const CONSUMED_KEPT: usize = 64;

/// What a read found.
#[derive(Debug, PartialEq)]
pub enum Stored<T> {
    Missing,
    Found(T),
    /// The key held something unreadable; it has been removed.
    Garbage,
}

impl<T> Stored<T> {
    pub fn found(self) -> Option<T> {
        match self {
            Stored::Found(value) => Some(value),
            Stored::Missing | Stored::Garbage => None,
        }
    }
}

/// Why a write failed (storage full, or disabled by the browser).
#[derive(Debug, thiserror::Error)]
#[error("sessionStorage refused to store the sign-in data ({0})")]
pub struct StorageError(String);

fn read<T: DeserializeOwned>(key: &str) -> Stored<T> {
    let Ok(raw) = SessionStorage::raw().get_item(key) else {
        return Stored::Missing;
    };
    let Some(raw) = raw else {
        return Stored::Missing;
    };
    match serde_json::from_str(&raw) {
        Ok(value) => Stored::Found(value),
        Err(_) => {
            SessionStorage::delete(key);
            Stored::Garbage
        }
    }
}

fn write<T: Serialize>(key: &str, value: &T) -> Result<(), StorageError> {
    SessionStorage::set(key, value).map_err(|e| StorageError(e.to_string()))
}

/// Reads and removes in one step: whatever was there can be used once only.
fn take<T: DeserializeOwned>(key: &str) -> Stored<T> {
    let value = read(key);
    SessionStorage::delete(key);
    value
}

pub fn load_session() -> Stored<Session> {
    read(keys::SESSION)
}

pub fn save_session(session: &Session) -> Result<(), StorageError> {
    write(keys::SESSION, session)
}

/// Cached discovery document, reused only for the issuer it was fetched from.
pub fn load_metadata(issuer: &str) -> Option<ProviderMetadata> {
    read::<ProviderMetadata>(keys::METADATA)
        .found()
        .filter(|metadata| metadata.issuer == issuer)
}

pub fn save_metadata(metadata: &ProviderMetadata) -> Result<(), StorageError> {
    write(keys::METADATA, metadata)
}

/// The provider's signing keys, cached for the session together with the `jwks_uri` they came from.
#[derive(Serialize, Deserialize)]
struct CachedJwks {
    jwks_uri: String,
    keys: JwkSet,
}

pub fn load_jwks(jwks_uri: &Url) -> Option<JwkSet> {
    read::<CachedJwks>(keys::JWKS)
        .found()
        .filter(|cached| cached.jwks_uri == jwks_uri.as_str())
        .map(|cached| cached.keys)
}

pub fn save_jwks(jwks_uri: &Url, keys: &JwkSet) -> Result<(), StorageError> {
    write(
        keys::JWKS,
        &CachedJwks {
            jwks_uri: jwks_uri.to_string(),
            keys: keys.clone(),
        },
    )
}

fn pending_key(state: &State) -> String {
    format!("{}{}", keys::PENDING, state.secret())
}

pub fn save_pending(pending: &PendingSignIn) -> Result<(), StorageError> {
    write(&pending_key(&pending.state), pending)
}

/// The pending sign-in for `state`, removed as it is read (RFC 9700 4.2.4: single use).
pub fn take_pending(state: &State) -> Stored<PendingSignIn> {
    take(&pending_key(state))
}

pub fn save_logout_state(state: &State) -> Result<(), StorageError> {
    write(keys::LOGOUT_STATE, state)
}

/// The `state` sent with a provider sign-out, removed as it is read.
pub fn take_logout_state() -> Stored<State> {
    take(keys::LOGOUT_STATE)
}

/// Records, for every tab of the origin, that the refresh token with this fingerprint is used up.
pub fn mark_consumed(fingerprint: &str) {
    let mut consumed = LocalStorage::get::<Vec<String>>(keys::CONSUMED).unwrap_or_default();
    consumed.push(fingerprint.to_owned());
    let excess = consumed.len().saturating_sub(CONSUMED_KEPT);
    consumed.drain(..excess);
    let _ = LocalStorage::set(keys::CONSUMED, consumed);
}

/// Whether any tab of the origin used up the refresh token with this fingerprint.
pub fn is_consumed(fingerprint: &str) -> bool {
    LocalStorage::get::<Vec<String>>(keys::CONSUMED)
        .is_ok_and(|consumed| consumed.iter().any(|item| item == fingerprint))
}

/// Every key this app wrote, in storage order.
pub fn own_keys() -> Vec<String> {
    let storage = SessionStorage::raw();
    let len = storage.length().unwrap_or(0);
    (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(PREFIX))
        .collect()
}

/// Removes every key this app wrote, and only those.
pub fn clear_all() {
    for key in own_keys() {
        SessionStorage::delete(&key);
    }
}
