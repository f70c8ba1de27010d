//! ID token signature verification with the browser's own WebCrypto (`SubtleCrypto.importKey` + `verify`).
//!
//! The key and the algorithm parameters are chosen by `crate::oidc::jwks`; this module only builds the
//! JavaScript dictionaries and awaits the promises.

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

/// Whether `signature` over `signing_input` verifies with `key` under `alg`.
pub async fn verify(
    key: &Jwk,
    alg: &WebCryptoAlgorithm,
    signing_input: &str,
    signature: &[u8],
) -> Result<bool, WebCryptoError> {
    let subtle = web_sys::window()
        .ok_or_else(|| WebCryptoError("no window".to_owned()))?
        .crypto()?
        .subtle();
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
