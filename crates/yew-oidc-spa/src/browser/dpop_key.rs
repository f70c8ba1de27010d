//! The DPoP key pair of a session (RFC 9449): made by WebCrypto as a non-extractable ECDSA P-256 key, kept in
//! IndexedDB (a `CryptoKey` cannot be written to sessionStorage, but IndexedDB stores it by structured clone,
//! non-extractable still), found again by the id the session keeps, and deleted with the session. Script, this
//! app's included, can sign with the private key but never read it. No protocol decision is made here: proofs are
//! built by `crate::oidc::dpop`.

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, IdbRequest, IdbTransaction, IdbTransactionMode};

use crate::oidc::dpop::{KeyUpkeep, PublicJwk, key_upkeep};

/// The IndexedDB object store that holds the keys, in a database named in the app's namespace (IndexedDB is per
/// origin, like the app's tabs): another app of the origin never sweeps this one's keys.
const STORE: &str = "dpop-keys";

/// Why the browser could not make, keep, find or use a DPoP key.
#[derive(Debug, thiserror::Error)]
#[error("the browser could not use the DPoP key ({0})")]
pub struct KeyError(String);

impl From<JsValue> for KeyError {
    fn from(value: JsValue) -> Self {
        let message = value
            .dyn_ref::<js_sys::Error>()
            .map(|error| String::from(error.message()))
            .or_else(|| {
                value
                    .dyn_ref::<web_sys::DomException>()
                    .map(web_sys::DomException::message)
            })
            .unwrap_or_else(|| "unknown error".to_owned());
        KeyError(message)
    }
}

fn failed(what: &str) -> KeyError {
    KeyError(what.to_owned())
}

/// A key pair whose private half only WebCrypto can use, with the public coordinates a proof's `jwk` carries.
pub struct DpopKey {
    private: CryptoKey,
    public: PublicJwk,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

fn object(members: &[(&str, &JsValue)]) -> Result<Object, KeyError> {
    let object = Object::new();
    for (name, value) in members {
        Reflect::set(&object, &JsValue::from_str(name), value)?;
    }
    Ok(object)
}

fn member<T: JsCast>(object: &JsValue, name: &str) -> Result<T, KeyError> {
    Reflect::get(object, &JsValue::from_str(name))?
        .dyn_into()
        .map_err(|_| KeyError(format!("no {name}")))
}

fn subtle() -> Result<web_sys::SubtleCrypto, KeyError> {
    Ok(web_sys::window()
        .ok_or_else(|| failed("no window"))?
        .crypto()?
        .subtle())
}

impl DpopKey {
    /// A fresh key pair (RFC 9449 4.2: ES256), its private key non-extractable.
    pub async fn generate() -> Result<Self, KeyError> {
        let subtle = subtle()?;
        let params = object(&[("name", &"ECDSA".into()), ("namedCurve", &"P-256".into())])?;
        let usages = Array::of1(&"sign".into());
        let pair =
            JsFuture::from(subtle.generate_key_with_object(&params, false, &usages)?).await?;
        let private: CryptoKey = member(&pair, "privateKey")?;
        let public: CryptoKey = member(&pair, "publicKey")?;
        // A generated pair's public key is always extractable; the private one was made not to be.
        let jwk = JsFuture::from(subtle.export_key("jwk", &public)?).await?;
        let coordinate = |name| {
            Reflect::get(&jwk, &JsValue::from_str(name))?
                .as_string()
                .ok_or_else(|| KeyError(format!("no {name} in the exported key")))
        };
        let public = PublicJwk::new(&coordinate("x")?, &coordinate("y")?)
            .map_err(|error| KeyError(error.to_string()))?;
        Ok(DpopKey { private, public })
    }

    /// The public key, for the proof header.
    pub fn public(&self) -> &PublicJwk {
        &self.public
    }

    /// The ES256 signature of `input`: the 64 octets R ‖ S that JWS wants (RFC 7518 3.4), which is WebCrypto's
    /// own ECDSA output format.
    pub async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, KeyError> {
        let params = object(&[("name", &"ECDSA".into()), ("hash", &"SHA-256".into())])?;
        let signed = JsFuture::from(subtle()?.sign_with_object_and_u8_array(
            &params,
            &self.private,
            input,
        )?)
        .await?;
        Ok(js_sys::Uint8Array::new(&signed).to_vec())
    }

    /// Keeps the key under `id` (the session's key id), replacing any key kept under it, marked as used at `used`
    /// (seconds since the epoch; see [`sweep`]).
    pub async fn save(&self, id: &str, used: u64) -> Result<(), KeyError> {
        let record = object(&[
            ("key", &self.private),
            ("x", &self.public.x().into()),
            ("y", &self.public.y().into()),
            (USED, &(used as f64).into()),
        ])?;
        let transaction = transaction(IdbTransactionMode::Readwrite).await?;
        transaction
            .object_store(STORE)?
            .put_with_key(&record, &id.into())?;
        committed(&transaction).await
    }

    /// The key kept under `id`, if there is one.
    pub async fn load(id: &str) -> Result<Option<Self>, KeyError> {
        let transaction = transaction(IdbTransactionMode::Readonly).await?;
        let request = transaction.object_store(STORE)?.get(&id.into())?;
        let record = settled(&request).await?;
        if record.is_undefined() {
            return Ok(None);
        }
        let coordinate = |name| {
            Reflect::get(&record, &JsValue::from_str(name))
                .ok()
                .and_then(|value| value.as_string())
                .ok_or_else(|| failed("a stored key without its public half"))
        };
        let public = PublicJwk::new(&coordinate("x")?, &coordinate("y")?)
            .map_err(|error| KeyError(error.to_string()))?;
        Ok(Some(DpopKey {
            private: member(&record, "key")?,
            public,
        }))
    }

    /// Deletes the key kept under `id`; deleting a key that is not there is not an error.
    pub async fn delete(id: &str) -> Result<(), KeyError> {
        let transaction = transaction(IdbTransactionMode::Readwrite).await?;
        transaction.object_store(STORE)?.delete(&id.into())?;
        committed(&transaction).await
    }
}

/// The record member that says when a key was last used, in seconds since the epoch.
const USED: &str = "used";

/// Deletes the keys no session can need any more at `now` (`crate::oidc::dpop::key_upkeep`), and marks the ones
/// kept without a time of use as used now. Returns how many keys were deleted. A key that a tab marks as used
/// between the two transactions here had not been used for a retention time before: its session had ended anyway.
pub async fn sweep(now: u64) -> Result<usize, KeyError> {
    let reading = transaction(IdbTransactionMode::Readonly).await?;
    let store = reading.object_store(STORE)?;
    let (ids, records) = (store.get_all_keys()?, store.get_all()?);
    let list = |value: JsValue| {
        value
            .dyn_into::<Array>()
            .map_err(|_| failed("IndexedDB listed no keys"))
    };
    let ids = list(settled(&ids).await?)?;
    let records = list(settled(&records).await?)?;
    let writing = transaction(IdbTransactionMode::Readwrite).await?;
    let store = writing.object_store(STORE)?;
    let mut deleted = 0;
    for (id, record) in ids.iter().zip(records.iter()) {
        let used = Reflect::get(&record, &USED.into())
            .ok()
            .and_then(|used| used.as_f64())
            .filter(|used| used.is_finite() && *used >= 0.0)
            .map(|used| used as u64);
        match key_upkeep(used, now) {
            KeyUpkeep::Keep => {}
            KeyUpkeep::Stamp => {
                Reflect::set(&record, &USED.into(), &(now as f64).into())?;
                store.put_with_key(&record, &id)?;
            }
            KeyUpkeep::Delete => {
                store.delete(&id)?;
                deleted += 1;
            }
        }
    }
    committed(&writing).await?;
    Ok(deleted)
}

/// Resolves when `request` succeeds (with its result), rejects when it fails. The handlers are the promise's own
/// resolve and reject functions, so no closure outlives the request.
async fn settled(request: &IdbRequest) -> Result<JsValue, KeyError> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    match JsFuture::from(promise).await {
        Ok(_) => Ok(request.result()?),
        Err(_) => Err(request
            .error()
            .ok()
            .flatten()
            .map_or_else(|| failed("IndexedDB request failed"), |error| error.into())),
    }
}

impl From<web_sys::DomException> for KeyError {
    fn from(error: web_sys::DomException) -> Self {
        KeyError(error.message())
    }
}

/// Resolves once `transaction` is committed, so a key saved before the page leaves for the provider is on disk.
async fn committed(transaction: &IdbTransaction) -> Result<(), KeyError> {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    JsFuture::from(promise)
        .await
        .map(drop)
        .map_err(|_| failed("IndexedDB transaction did not complete"))
}

/// A transaction on the key store, creating the database on first use.
async fn transaction(mode: IdbTransactionMode) -> Result<IdbTransaction, KeyError> {
    let factory = web_sys::window()
        .ok_or_else(|| failed("no window"))?
        .indexed_db()?
        .ok_or_else(|| failed("IndexedDB is not available"))?;
    let open = factory.open_with_u32(&super::storage::scoped("dpop"), 1)?;
    // Runs once per browser profile, before success: the store must exist before any transaction names it.
    let opened = open.clone();
    let upgrade = Closure::once_into_js(move || {
        if let Ok(db) = opened.result().and_then(JsCast::dyn_into::<IdbDatabase>) {
            let _ = db.create_object_store(STORE);
        }
    });
    open.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db: IdbDatabase = settled(&open)
        .await?
        .dyn_into()
        .map_err(|_| failed("IndexedDB opened no database"))?;
    open.set_onupgradeneeded(None);
    Ok(db.transaction_with_str_and_mode(STORE, mode)?)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::browser::webcrypto;
    use crate::oidc::id_token::SigningAlgorithm;
    use crate::oidc::jwks::{Jwk, webcrypto as algorithm};

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    fn jwk(public: &PublicJwk) -> Jwk {
        serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "x": public.x(), "y": public.y(),
        }))
        .expect("a public JWK")
    }

    async fn verifies(public: &PublicJwk, input: &str, signature: &[u8]) -> bool {
        webcrypto::verify(
            &jwk(public),
            &algorithm(SigningAlgorithm::Es256),
            input,
            signature,
        )
        .await
        .expect("WebCrypto answers")
    }

    #[wasm_bindgen_test]
    async fn a_new_key_signs_es256_and_its_private_half_cannot_be_exported() {
        let key = DpopKey::generate().await.expect("a key");
        let signature = key.sign(b"header.claims").await.expect("a signature");
        assert_eq!(signature.len(), 64, "R || S, as JWS wants");
        assert!(verifies(key.public(), "header.claims", &signature).await);
        assert!(!verifies(key.public(), "header.claimz", &signature).await);

        assert!(!key.private.extractable());
        let exported = subtle()
            .expect("WebCrypto")
            .export_key("jwk", &key.private)
            .expect("a promise");
        assert!(
            JsFuture::from(exported).await.is_err(),
            "the private key was exported"
        );
    }

    #[wasm_bindgen_test]
    async fn a_saved_key_is_found_by_its_id_signs_the_same_and_is_gone_once_deleted() {
        let key = DpopKey::generate().await.expect("a key");
        key.save("test-session-a", 0).await.expect("saved");
        let other = DpopKey::generate().await.expect("another key");
        other.save("test-session-b", 0).await.expect("saved");

        let found = DpopKey::load("test-session-a")
            .await
            .expect("IndexedDB answers")
            .expect("the key is there");
        assert_eq!(found.public(), key.public());
        assert!(
            !found.private.extractable(),
            "still not extractable after the round trip"
        );
        let signature = found.sign(b"input").await.expect("a signature");
        assert!(verifies(key.public(), "input", &signature).await);

        DpopKey::delete("test-session-a").await.expect("deleted");
        assert!(
            DpopKey::load("test-session-a")
                .await
                .expect("IndexedDB answers")
                .is_none()
        );
        let kept = DpopKey::load("test-session-b")
            .await
            .expect("IndexedDB answers");
        assert_eq!(
            kept.expect("the other key is kept").public(),
            other.public()
        );
        DpopKey::delete("test-session-b").await.expect("deleted");
        DpopKey::delete("never-saved")
            .await
            .expect("deleting nothing is fine");
    }

    #[wasm_bindgen_test]
    async fn the_sweep_deletes_only_keys_no_session_can_need_and_stamps_unmarked_ones() {
        use crate::oidc::dpop::KEY_RETENTION_SECONDS;
        const NOW: u64 = 1_800_000_000;
        let key = DpopKey::generate().await.expect("a key");
        key.save("sweep-recent", NOW - 60).await.expect("saved");
        key.save("sweep-edge", NOW - KEY_RETENTION_SECONDS)
            .await
            .expect("saved");
        key.save("sweep-stale", NOW - KEY_RETENTION_SECONDS - 1)
            .await
            .expect("saved");
        // A key kept before the time of use was recorded.
        let record = object(&[
            ("key", &key.private),
            ("x", &key.public.x().into()),
            ("y", &key.public.y().into()),
        ])
        .expect("a record");
        let writing = transaction(IdbTransactionMode::Readwrite)
            .await
            .expect("a transaction");
        writing
            .object_store(STORE)
            .expect("the store")
            .put_with_key(&record, &"sweep-unmarked".into())
            .expect("put");
        committed(&writing).await.expect("committed");

        let found = |id: &'static str| async move {
            DpopKey::load(id)
                .await
                .expect("IndexedDB answers")
                .is_some()
        };
        assert!(sweep(NOW).await.expect("swept") >= 1);
        assert!(found("sweep-recent").await);
        assert!(found("sweep-edge").await);
        assert!(
            !found("sweep-stale").await,
            "a key no session can need was kept"
        );
        assert!(
            found("sweep-unmarked").await,
            "a key of an older release was deleted at once"
        );

        // The unmarked key was stamped at the sweep: deleted a retention time later, not before.
        assert_eq!(sweep(NOW + KEY_RETENTION_SECONDS).await.expect("swept"), 2);
        assert!(found("sweep-unmarked").await);
        assert!(!found("sweep-recent").await && !found("sweep-edge").await);
        assert_eq!(
            sweep(NOW + KEY_RETENTION_SECONDS + 1).await.expect("swept"),
            1
        );
        assert!(!found("sweep-unmarked").await);
    }
}
