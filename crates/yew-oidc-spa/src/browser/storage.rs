//! sessionStorage behind namespaced keys: the session, pending sign-ins (one per `state`, removed when read) with
//! the provider metadata and keys saved for their callback, and the pending provider sign-out.
//!
//! Every key starts with [`PREFIX`] and the instance whose code is running ([`within`]), so a sign-out can remove
//! exactly what this instance wrote and nothing else on the origin, not another app's of this library nor another
//! provider's of this app. Unreadable values are deleted and reported as absent: garbage never crashes.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::clock;
use crate::oidc::authorize::PendingSignIn;
use crate::oidc::callback::MAX_PENDING_AGE_SECONDS;
use crate::oidc::discovery::ProviderMetadata;
use crate::oidc::jwks::JwkSet;
use crate::oidc::secret::State;
use crate::oidc::session::Session;
use crate::oidc::stored::{FromJson, text};

/// The start of every name this library gives anything in the browser: storage keys, the Web Lock, the tab
/// channel, the IndexedDB database.
pub const PREFIX: &str = "yew-oidc:";

thread_local! {
    /// The namespace of the instance whose code runs now: [`PREFIX`] and its instance (see [`within`]).
    static NAMESPACE: RefCell<Rc<str>> = RefCell::new(Rc::from(PREFIX));
}

/// The namespace of `instance` (`Config::instance`: the client, the app's path and the provider's name), so that
/// two apps on one origin (two paths of one GitHub Pages site, two clients of one provider) and two providers of
/// one app never read or wipe each other's session, keys, lock or messages.
pub fn namespace_of(instance: &str) -> Rc<str> {
    Rc::from(format!("{PREFIX}{instance}:"))
}

/// The namespace of the code running now; the bare [`PREFIX`] outside any instance's.
pub fn current() -> Rc<str> {
    NAMESPACE.with_borrow(Rc::clone)
}

/// Makes `namespace` current until the guard drops; the one before comes back then. For the synchronous entry points
/// of an instance (a click's handler); its tasks run [`within`] it.
#[must_use]
pub fn enter(namespace: &Rc<str>) -> Entered {
    Entered(NAMESPACE.replace(namespace.clone()))
}

/// The namespace to restore; see [`enter`].
pub struct Entered(Rc<str>);

impl Drop for Entered {
    fn drop(&mut self) {
        NAMESPACE.set(self.0.clone());
    }
}

/// `future` run in `namespace`: current each time it is polled and only then (as `tracing`'s `Instrumented` carries
/// a span), so the tasks of two instances on one page, interleaved at every `await`, each see their own names.
pub fn within<F: Future>(namespace: Rc<str>, future: F) -> Within<F> {
    Within {
        namespace,
        future: Box::pin(future),
    }
}

/// See [`within`].
pub struct Within<F> {
    namespace: Rc<str>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Within<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _entered = enter(&this.namespace);
        this.future.as_mut().poll(cx)
    }
}

/// Runs `future` in the background, in the namespace current now.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    wasm_bindgen_futures::spawn_local(within(current(), future));
}

/// What an instance keeps in this tab's memory, one value per namespace, so that two providers of one page keep
/// theirs apart. A list, not a map: a page has a provider or two, and a map's hashing would cost every app
/// kilobytes. For a `thread_local!`.
pub struct PerInstance<T>(RefCell<Vec<(Rc<str>, T)>>);

impl<T: Default> PerInstance<T> {
    pub const fn new() -> PerInstance<T> {
        PerInstance(RefCell::new(Vec::new()))
    }

    /// `f` given the current instance's value ([`current`]), `T::default()` until it is first set. `f` must not
    /// use this `PerInstance` itself.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let namespace = current();
        let mut all = self.0.borrow_mut();
        let at = match all.iter().position(|(known, _)| *known == namespace) {
            Some(at) => at,
            None => {
                all.push((namespace, T::default()));
                all.len() - 1
            }
        };
        f(&mut all[at].1)
    }
}

impl<T: Default> Default for PerInstance<T> {
    fn default() -> PerInstance<T> {
        PerInstance::new()
    }
}

/// `name` in the current namespace: a storage key, or the name of a lock, a channel or a database.
pub fn scoped(name: &str) -> String {
    NAMESPACE.with_borrow(|namespace| format!("{namespace}{name}"))
}

/// The storage keys, in one place, each in this app's namespace ([`scoped`]).
pub mod keys {
    use super::scoped;

    pub fn session() -> String {
        scoped("session")
    }
    pub fn metadata() -> String {
        scoped("metadata")
    }
    pub fn jwks() -> String {
        scoped("jwks")
    }
    /// The start of a pending sign-in's key; its `state` follows.
    pub fn pending() -> String {
        scoped("pending:")
    }
    pub fn logout_state() -> String {
        scoped("logout-state")
    }
    /// In localStorage, shared by every tab: fingerprints (never tokens) of used-up refresh tokens.
    pub fn consumed() -> String {
        scoped("consumed")
    }
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
    read(&keys::session())
}

pub fn save_session(session: &Session) -> Result<(), StorageError> {
    write(&keys::session(), session)
}

/// The discovery document saved at sign-in for the callback, removed as it is read and only for the issuer it was
/// fetched from. Storage is not trusted: the copy must pass the same checks as a fetched document (issuer, https
/// endpoints, S256), and the callback compares it with a fresh one before it keeps any token.
pub fn take_metadata(issuer: &str) -> Option<ProviderMetadata> {
    take::<ProviderMetadata>(&keys::metadata())
        .found()
        .filter(|metadata| metadata.validate(issuer).is_ok())
}

pub fn save_metadata(metadata: &ProviderMetadata) -> Result<(), StorageError> {
    write(&keys::metadata(), metadata)
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
    take::<CachedJwks>(&keys::jwks())
        .found()
        .filter(|cached| cached.jwks_uri == jwks_uri.as_str())
        .map(|cached| cached.keys)
}

pub fn save_jwks(jwks_uri: &Url, keys: &JwkSet) -> Result<(), StorageError> {
    write(
        &keys::jwks(),
        &CachedJwks {
            jwks_uri: jwks_uri.to_string(),
            keys: keys.clone(),
        },
    )
}

fn pending_key(state: &State) -> String {
    format!("{}{}", keys::pending(), state.secret())
}

pub fn save_pending(pending: &PendingSignIn) -> Result<(), StorageError> {
    write(&pending_key(&pending.state), pending)
}

/// Removes pending sign-ins created before `cutoff` (Unix seconds): attempts the user abandoned at the provider.
/// Returns them, for what they still hold elsewhere (a DPoP key).
pub fn prune_pending(cutoff: u64) -> Vec<PendingSignIn> {
    let mut pruned = Vec::new();
    let pending = keys::pending();
    for key in own_keys() {
        if !key.starts_with(&pending) {
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

/// Whether this tab holds a pending sign-in for `state`, read without taking it: a sign-in window's copy of its
/// opener's storage (made when the window opened, before the request was stored) does not.
pub fn holds_pending(state: &State) -> bool {
    session().is_some_and(|storage| matches!(storage.get_item(&pending_key(state)), Ok(Some(_))))
}

/// The origin's mark of a sign-in window (not an instance's: the window cannot know which of the app's providers
/// opened it).
pub fn sign_in_window_key() -> String {
    format!("{PREFIX}sign-in-window")
}

/// Runs `open` (the `window.open` of a sign-in window) with this tab marked as a sign-in window (the mark: the second
/// it opened): the browser gives the window it opens a copy of this tab's sessionStorage, so the window carries the
/// mark and this tab keeps none.
pub fn marking_sign_in_window<T>(open: impl FnOnce() -> T) -> T {
    if let Some(storage) = session() {
        let _ = storage.set_item(&sign_in_window_key(), &clock::now().to_string());
    }
    let opened = open();
    unmark_sign_in_window();
    opened
}

/// This tab is no longer a sign-in window (its response went to nobody; see [`marking_sign_in_window`]).
pub fn unmark_sign_in_window() {
    if let Some(storage) = session() {
        let _ = storage.remove_item(&sign_in_window_key());
    }
}

/// Whether this tab was opened as a sign-in window by this app (see [`marking_sign_in_window`]) less than
/// [`MAX_PENDING_AGE_SECONDS`] ago: the tab that opened it waits no longer for its response, so a mark left by a
/// window that went on as a tab of the app (a provider's "back to the application" link) lapses then.
pub fn is_marked_sign_in_window() -> bool {
    let opened = session()
        .and_then(|storage| storage.get_item(&sign_in_window_key()).ok().flatten())
        .and_then(|text| text.parse::<u64>().ok());
    opened.is_some_and(|opened| clock::now() < opened.saturating_add(MAX_PENDING_AGE_SECONDS))
}

/// Whether any instance of this library in this tab holds a pending sign-in for `state` (see [`holds_pending`]).
pub fn pending_anywhere(state: &State) -> bool {
    let suffix = format!(":pending:{}", state.secret());
    keys_starting_with(PREFIX).any(|key| key.ends_with(&suffix))
}

/// The pending sign-in for `state`, removed as it is read (RFC 9700 4.2.4: single use).
pub fn take_pending(state: &State) -> Stored<PendingSignIn> {
    take(&pending_key(state))
}

pub fn save_logout_state(state: &State) -> Result<(), StorageError> {
    write(&keys::logout_state(), state)
}

/// The `state` sent with a provider sign-out, removed as it is read.
pub fn take_logout_state() -> Stored<State> {
    take(&keys::logout_state())
}

/// Records, for every tab of the origin, that the refresh token with this fingerprint is used up.
pub fn mark_consumed(fingerprint: &str) {
    let mut consumed = read_from::<Vec<String>>(local(), &keys::consumed())
        .found()
        .unwrap_or_default();
    consumed.push(fingerprint.to_owned());
    let excess = consumed.len().saturating_sub(CONSUMED_KEPT);
    consumed.drain(..excess);
    let _ = write_to(local(), &keys::consumed(), &consumed);
}

/// Whether any tab of the origin used up the refresh token with this fingerprint.
pub fn is_consumed(fingerprint: &str) -> bool {
    read_from::<Vec<String>>(local(), &keys::consumed())
        .found()
        .is_some_and(|consumed| consumed.iter().any(|item| item == fingerprint))
}

/// Every key this app wrote (in its namespace: not another app's on the origin), in storage order.
pub fn own_keys() -> Vec<String> {
    keys_starting_with(&scoped("")).collect()
}

/// The sessionStorage keys that start with `prefix`, in storage order.
fn keys_starting_with(prefix: &str) -> impl Iterator<Item = String> {
    let storage = session();
    let len = storage
        .as_ref()
        .map_or(0, |storage| storage.length().unwrap_or(0));
    (0..len)
        .filter_map(move |i| storage.as_ref()?.key(i).ok().flatten())
        .filter(move |key| key.starts_with(prefix))
}

/// Removes every key this app wrote, and only those.
pub fn clear_all() {
    for key in own_keys() {
        delete(&key);
    }
}
