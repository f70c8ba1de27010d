//! sessionStorage behind namespaced keys: the session, pending sign-ins (one per `state`, removed when read) with
//! the provider metadata and keys saved for their callback, and the pending provider sign-out.
//!
//! Every key starts with [`PREFIX`], so a sign-out can remove exactly what the app wrote and nothing
//! else on the origin. Unreadable values are deleted and reported as absent: garbage never crashes.

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::oidc::authorize::PendingSignIn;
use crate::oidc::discovery::ProviderMetadata;
use crate::oidc::jwks::JwkSet;
use crate::oidc::secret::State;
use crate::oidc::session::Session;
use crate::oidc::stored::{FromJson, text};

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

/// This tab's sessionStorage, or `None` where the browser blocks it (storage disabled, some sandboxed
/// frames). Reached through web-sys rather than gloo-storage, whose accessors panic in that case.
fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The origin's localStorage, shared by every tab; `None` where blocked.
fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Every stored text is parsed by the one `Value` reader, then read by its type's [`FromJson`].
fn read_from<T: FromJson>(storage: Option<web_sys::Storage>, key: &str) -> Stored<T> {
    let Some(storage) = storage else {
        return Stored::Missing;
    };
    let Ok(Some(raw)) = storage.get_item(key) else {
        return Stored::Missing;
    };
    match T::from_json_text(raw.as_bytes()) {
        Some(value) => Stored::Found(value),
        None => {
            let _ = storage.remove_item(key);
            Stored::Garbage
        }
    }
}

fn write_to<T: Serialize>(
    storage: Option<web_sys::Storage>,
    key: &str,
    value: &T,
) -> Result<(), StorageError> {
    let storage = storage.ok_or_else(|| StorageError("storage is blocked".to_owned()))?;
    let text = serde_json::to_string(value).map_err(|e| StorageError(e.to_string()))?;
    storage
        .set_item(key, &text)
        .map_err(|_| StorageError("storage is full or blocked".to_owned()))
}

fn read<T: FromJson>(key: &str) -> Stored<T> {
    read_from(session(), key)
}

fn write<T: Serialize>(key: &str, value: &T) -> Result<(), StorageError> {
    write_to(session(), key, value)
}

fn delete(key: &str) {
    if let Some(storage) = session() {
        let _ = storage.remove_item(key);
    }
}

/// Reads and removes in one step: whatever was there can be used once only.
fn take<T: FromJson>(key: &str) -> Stored<T> {
    let value = read(key);
    delete(key);
    value
}

pub fn load_session() -> Stored<Session> {
    read(keys::SESSION)
}

pub fn save_session(session: &Session) -> Result<(), StorageError> {
    write(keys::SESSION, session)
}

/// The discovery document saved at sign-in for the callback, removed as it is read and only for the issuer it was
/// fetched from. Storage is not trusted: the copy must pass the same checks as a fetched document (issuer, https
/// endpoints, S256), and the callback compares it with a fresh one before it keeps any token.
pub fn take_metadata(issuer: &str) -> Option<ProviderMetadata> {
    take::<ProviderMetadata>(keys::METADATA)
        .found()
        .filter(|metadata| metadata.validate(issuer).is_ok())
}

pub fn save_metadata(metadata: &ProviderMetadata) -> Result<(), StorageError> {
    write(keys::METADATA, metadata)
}

/// The provider's signing keys, saved at sign-in for the callback together with the `jwks_uri` they came from.
#[derive(Serialize)]
struct CachedJwks {
    jwks_uri: String,
    keys: JwkSet,
}

/// Both members required, as the derive had them (`null` is not a `jwks_uri`, nor a key set).
impl FromJson for CachedJwks {
    fn from_json(value: Value) -> Option<Self> {
        let Value::Object(mut members) = value else {
            return None;
        };
        Some(CachedJwks {
            jwks_uri: text(&mut members, "jwks_uri").ok()??,
            keys: JwkSet::from_json(members.remove("keys")?)?,
        })
    }
}

/// The signing keys saved at sign-in for the callback, removed as they are read.
pub fn take_jwks(jwks_uri: &Url) -> Option<JwkSet> {
    take::<CachedJwks>(keys::JWKS)
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

/// Removes pending sign-ins created before `cutoff` (Unix seconds): attempts the user abandoned at the provider.
/// Returns them, for what they still hold elsewhere (a DPoP key).
pub fn prune_pending(cutoff: u64) -> Vec<PendingSignIn> {
    let mut pruned = Vec::new();
    for key in own_keys() {
        if !key.starts_with(keys::PENDING) {
            continue;
        }
        if let Some(pending) = read::<PendingSignIn>(&key).found()
            && pending.created_at < cutoff
        {
            delete(&key);
            pruned.push(pending);
        }
    }
    pruned
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
    let mut consumed = read_from::<Vec<String>>(local(), keys::CONSUMED)
        .found()
        .unwrap_or_default();
    consumed.push(fingerprint.to_owned());
    let excess = consumed.len().saturating_sub(CONSUMED_KEPT);
    consumed.drain(..excess);
    let _ = write_to(local(), keys::CONSUMED, &consumed);
}

/// Whether any tab of the origin used up the refresh token with this fingerprint.
pub fn is_consumed(fingerprint: &str) -> bool {
    read_from::<Vec<String>>(local(), keys::CONSUMED)
        .found()
        .is_some_and(|consumed| consumed.iter().any(|item| item == fingerprint))
}

/// Every key this app wrote, in storage order.
pub fn own_keys() -> Vec<String> {
    let Some(storage) = session() else {
        return Vec::new();
    };
    let len = storage.length().unwrap_or(0);
    (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(PREFIX))
        .collect()
}

/// Removes every key this app wrote, and only those.
pub fn clear_all() {
    for key in own_keys() {
        delete(&key);
    }
}
