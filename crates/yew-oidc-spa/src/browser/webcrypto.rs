//! The browser's own WebCrypto: ID token signature verification (`importKey` + `verify`, with the key and
//! parameters chosen by `crate::oidc::jwks`), and AES-GCM for the messages tabs exchange. This module only builds
//! the JavaScript dictionaries and awaits the promises.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

use crate::oidc::jwks::{Jwk, KeyFamily, WebCryptoAlgorithm};

/// Why WebCrypto could not give an answer (not: the signature is wrong, that is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
#[error("the browser could not check the signature ({0})")]
pub struct WebCryptoError(String);

impl From<JsValue> for WebCryptoError {
    fn from(value: JsValue) -> Self {
        let message = value
            .dyn_ref::<js_sys::Error>()
            .map(|error| String::from(error.message()))
            .unwrap_or_else(|| "unknown error".to_owned());
        WebCryptoError(message)
    }
}

fn object(members: &[(&str, JsValue)]) -> Result<Object, WebCryptoError> {
    let object = Object::new();
    for (name, value) in members {
        Reflect::set(&object, &JsValue::from_str(name), value)?;
    }
    Ok(object)
}

fn text(value: &Option<String>) -> JsValue {
    value
        .as_deref()
        .map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// The public members only: whatever else the provider published is not handed to `importKey`.
fn public_jwk(key: &Jwk) -> Result<Object, WebCryptoError> {
    object(&[
        ("kty", JsValue::from_str(&key.kty)),
        ("n", text(&key.n)),
        ("e", text(&key.e)),
        ("crv", text(&key.crv)),
        ("x", text(&key.x)),
        ("y", text(&key.y)),
        ("ext", JsValue::TRUE),
    ])
}

fn import_params(alg: &WebCryptoAlgorithm) -> Result<Object, WebCryptoError> {
    let mut members = vec![("name", JsValue::from_str(alg.name))];
    match alg.family {
        KeyFamily::Rsa => members.push(("hash", text(&alg.hash.map(str::to_owned)))),
        KeyFamily::Ec(curve) => members.push(("namedCurve", JsValue::from_str(curve))),
        KeyFamily::Okp => {}
    }
    object(&members)
}

fn verify_params(alg: &WebCryptoAlgorithm) -> Result<Object, WebCryptoError> {
    let mut members = vec![("name", JsValue::from_str(alg.name))];
    if let (KeyFamily::Ec(_), Some(hash)) = (alg.family, alg.hash) {
        members.push(("hash", JsValue::from_str(hash)));
    }
    if let Some(salt_length) = alg.salt_length {
        members.push(("saltLength", JsValue::from(salt_length)));
    }
    object(&members)
}

fn subtle() -> Result<web_sys::SubtleCrypto, WebCryptoError> {
    Ok(web_sys::window()
        .ok_or_else(|| WebCryptoError("no window".to_owned()))?
        .crypto()?
        .subtle())
}

/// Whether `signature` over `signing_input` verifies with `key` under `alg`.
pub async fn verify(
    key: &Jwk,
    alg: &WebCryptoAlgorithm,
    signing_input: &str,
    signature: &[u8],
) -> Result<bool, WebCryptoError> {
    let subtle = subtle()?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    let imported = JsFuture::from(subtle.import_key_with_object(
        "jwk",
        &public_jwk(key)?,
        &import_params(alg)?,
        false,
        &usages,
    )?)
    .await?;
    let crypto_key: CryptoKey = imported
        .dyn_into()
        .map_err(|_| WebCryptoError("importKey returned no key".to_owned()))?;
    let verified = JsFuture::from(subtle.verify_with_object_and_u8_array_and_u8_array(
        &verify_params(alg)?,
        &crypto_key,
        signature,
        signing_input.as_bytes(),
    )?)
    .await?;
    Ok(verified.as_bool() == Some(true))
}

/// Imports 32 raw bytes as an AES-GCM key for `usage` ("encrypt" or "decrypt").
async fn aes_key(key: &[u8; 32], usage: &str) -> Result<CryptoKey, WebCryptoError> {
    let subtle = subtle()?;
    let raw = js_sys::Uint8Array::from(key.as_slice());
    let usages = Array::of1(&JsValue::from_str(usage));
    let imported =
        JsFuture::from(subtle.import_key_with_str("raw", &raw, "AES-GCM", false, &usages)?).await?;
    imported
        .dyn_into()
        .map_err(|_| WebCryptoError("importKey returned no key".to_owned()))
}

fn gcm(iv: &[u8]) -> Result<Object, WebCryptoError> {
    object(&[
        ("name", JsValue::from_str("AES-GCM")),
        ("iv", js_sys::Uint8Array::from(iv).into()),
    ])
}

/// Encrypts `plaintext` with AES-256-GCM under `key` and the 12-byte `iv` (which must never repeat for a key).
pub async fn seal(
    key: &[u8; 32],
    iv: &[u8; 12],
    plaintext: &[u8],
) -> Result<Vec<u8>, WebCryptoError> {
    let key = aes_key(key, "encrypt").await?;
    let sealed =
        JsFuture::from(subtle()?.encrypt_with_object_and_u8_array(&gcm(iv)?, &key, plaintext)?)
            .await?;
    Ok(js_sys::Uint8Array::new(&sealed).to_vec())
}

/// Decrypts and authenticates what [`seal`] produced; `None` if the key, the IV or the bytes are wrong.
pub async fn open(key: &[u8; 32], iv: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let key = aes_key(key, "decrypt").await.ok()?;
    let promise = subtle()
        .ok()?
        .decrypt_with_object_and_u8_array(&gcm(iv).ok()?, &key, sealed)
        .ok()?;
    let opened = JsFuture::from(promise).await.ok()?;
    Some(js_sys::Uint8Array::new(&opened).to_vec())
}
