//! The provider's signing keys (JWKS, RFC 7517) and the choice of the one key that may verify an ID token.
//!
//! This module decides *which* key and *which* WebCrypto algorithm; it never verifies anything itself (the
//! browser does, with `SubtleCrypto.verify`), and it never fetches: the caller passes the JWKS body in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::keys::id_token::{JoseHeader, SigningAlgorithm};
use crate::stored::FromJson;

/// One public key, reduced to the members that matter for choosing and importing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// RFC 7517 4.2: "sig" or "enc".
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus and exponent (RFC 7518 6.3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC and OKP curve and coordinates (RFC 7518 6.2.1, RFC 8037 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// The smallest RSA modulus accepted, in bits. RFC 7518 3.3 (RS256/384/512): "A key of size 2048 bits or larger
/// MUST be used with these algorithms"; 3.5 (PS256/384/512): "A key of size 2048 bits or larger MUST be used with
/// this algorithm."
pub const MIN_RSA_MODULUS_BITS: usize = 2048;
// `KeySelectionError::RsaKeyTooSmall` says 2048 as text, not formatted at run time.
const _: () = assert!(MIN_RSA_MODULUS_BITS == 2048);

impl Jwk {
    /// The bit length of the RSA modulus `n` (RFC 7518 6.3.1.1: base64url of the unsigned big-endian integer),
    /// leading zero octets ignored; `None` when `n` is absent or not base64url.
    pub fn rsa_modulus_bits(&self) -> Option<usize> {
        let modulus = URL_SAFE_NO_PAD.decode(self.n.as_deref()?).ok()?;
        let significant = match modulus.iter().position(|byte| *byte != 0) {
            Some(first) => &modulus[first..],
            None => return Some(0),
        };
        let top_bits = 8 - significant[0].leading_zeros() as usize;
        Some((significant.len() - 1) * 8 + top_bits)
    }
}

/// A provider's key set. Keys this client cannot read (other key types, private members missing) are
/// dropped when parsing rather than failing the whole set: one exotic key must not lock every user out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// A saved set, read by the same code as a fetched one ([`parse_jwks`]) rather than by a derive: one reader of
/// keys in the first load, not two.
impl<'de> Deserialize<'de> for JwkSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        set_from(&Value::deserialize(deserializer)?)
            .ok_or_else(|| serde::de::Error::custom("a key set is an object with a `keys` array"))
    }
}

/// A saved set, as the `Deserialize` impl reads it.
impl FromJson for JwkSet {
    fn from_json(value: Value) -> Option<Self> {
        set_from(&value)
    }
}

#[derive(Debug, Error)]
pub enum JwksError {
    #[error("the provider's key set (jwks_uri) is not a JSON object with a `keys` array")]
    Malformed,
}

/// Why no key could be chosen for a token (OIDC Core 10.1.1).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeySelectionError {
    #[error(
        "the ID token was signed with key `{kid}`, which the provider's key set does not contain"
    )]
    UnknownKid { kid: String },
    #[error("the provider's key set has no key usable for {alg} signatures")]
    NoSuitableKey { alg: &'static str },
    #[error(
        "the ID token names no key (`kid`) and the provider's key set has several keys for {alg}"
    )]
    AmbiguousKey { alg: &'static str },
    #[error("the provider's RSA key has {bits} bits; RFC 7518 3.3 requires at least 2048")]
    RsaKeyTooSmall { bits: usize },
}

impl KeySelectionError {
    /// Whether fetching the key set again may help: the provider may have rotated its keys since the
    /// cached copy was taken (OIDC Core 10.1.1). An ambiguous choice will not resolve itself, and a key that
    /// was found but is too weak is the provider's choice, not a stale copy.
    pub fn may_be_rotation(&self) -> bool {
        !matches!(
            self,
            KeySelectionError::AmbiguousKey { .. } | KeySelectionError::RsaKeyTooSmall { .. }
        )
    }
}

/// Parses a JWKS document (RFC 7517 5).
pub fn parse_jwks(body: &[u8]) -> Result<JwkSet, JwksError> {
    let document: Value = serde_json::from_slice(body).map_err(|_| JwksError::Malformed)?;
    set_from(&document).ok_or(JwksError::Malformed)
}

/// The set in a parsed document: `None` without a `keys` array.
fn set_from(document: &Value) -> Option<JwkSet> {
    let keys = document.get("keys").and_then(Value::as_array)?;
    Some(JwkSet {
        keys: keys.iter().filter_map(jwk_from_value).collect(),
    })
}

/// One key of the set read member by member, as `Jwk`'s derived `Deserialize` would read it: a missing or `null`
/// optional member is `None`, and a member of the wrong type (or no `kty`) drops the key; so does anything but an
/// object (RFC 7517 4), which the derive would have read as the members in order. By hand, because the
/// document is already a `Value`: deserializing `Jwk` from one would add a second instantiation of its derive.
fn jwk_from_value(key: &Value) -> Option<Jwk> {
    let members = key.as_object()?;
    // `None`: the member has the wrong type.
    let text = |name: &str| match members.get(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(_) => None,
    };
    let key_ops = match members.get("key_ops") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
        ),
        Some(_) => return None,
    };
    Some(Jwk {
        kty: text("kty")??,
        kid: text("kid")?,
        use_: text("use")?,
        alg: text("alg")?,
        key_ops,
        n: text("n")?,
        e: text("e")?,
        crv: text("crv")?,
        x: text("x")?,
        y: text("y")?,
    })
}

/// The key that verifies a token with this header and (already vetted) algorithm.
///
/// OIDC Core 10.1: with a `kid`, exactly that key; without one, the key only if it is the single key fit for
/// the algorithm. A key is fit when its type and curve match the algorithm, its `use` (if any) is "sig", its
/// `key_ops` (if any) include "verify", and its `alg` (if any) is the token's (RFC 7517 4.2–4.4). The chosen RSA
/// key must have at least [`MIN_RSA_MODULUS_BITS`] (RFC 7518 3.3, 3.5): a weaker one is refused, not skipped, so
/// the error says why instead of "not found".
pub fn select_key<'a>(
    set: &'a JwkSet,
    header: &JoseHeader,
    alg: SigningAlgorithm,
) -> Result<&'a Jwk, KeySelectionError> {
    let key = find_key(set, header, alg)?;
    // RFC 7518 3.3: "A key of size 2048 bits or larger MUST be used with these algorithms." (3.5 says the same
    // for RSASSA-PSS.) `is_fit` already required a readable modulus for the RSA family.
    if webcrypto(alg).family == KeyFamily::Rsa {
        let bits = key.rsa_modulus_bits().unwrap_or(0);
        if bits < MIN_RSA_MODULUS_BITS {
            return Err(KeySelectionError::RsaKeyTooSmall { bits });
        }
    }
    Ok(key)
}

fn find_key<'a>(
    set: &'a JwkSet,
    header: &JoseHeader,
    alg: SigningAlgorithm,
) -> Result<&'a Jwk, KeySelectionError> {
    let mut fit = set.keys.iter().filter(|key| is_fit(key, alg));
    match &header.kid {
        Some(kid) => fit
            .find(|key| key.kid.as_deref() == Some(kid.as_str()))
            .ok_or_else(|| KeySelectionError::UnknownKid { kid: kid.clone() }),
        None => match (fit.next(), fit.next()) {
            (Some(key), None) => Ok(key),
            (None, _) => Err(KeySelectionError::NoSuitableKey { alg: alg.name() }),
            (Some(_), Some(_)) => Err(KeySelectionError::AmbiguousKey { alg: alg.name() }),
        },
    }
}

fn is_fit(key: &Jwk, alg: SigningAlgorithm) -> bool {
    let shape = match webcrypto(alg).family {
        KeyFamily::Rsa => key.kty == "RSA" && key.rsa_modulus_bits().is_some() && key.e.is_some(),
        KeyFamily::Ec(curve) => {
            key.kty == "EC"
                && key.crv.as_deref() == Some(curve)
                && key.x.is_some()
                && key.y.is_some()
        }
        KeyFamily::Okp => {
            key.kty == "OKP" && key.crv.as_deref() == Some("Ed25519") && key.x.is_some()
        }
    };
    shape
        && key.use_.as_deref().is_none_or(|use_| use_ == "sig")
        && key
            .key_ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|op| op == "verify"))
        && key
            .alg
            .as_deref()
            .is_none_or(|key_alg| key_alg == alg.name())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    /// The JWK `crv` and WebCrypto `namedCurve`.
    Ec(&'static str),
    Okp,
}

/// How WebCrypto must import the key and verify the signature for an algorithm (RFC 7518 3.3–3.5,
/// RFC 8037 3.1; W3C WebCrypto). ECDSA signatures in a JWS are the raw `r || s` form WebCrypto expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebCryptoAlgorithm {
    /// `name` in the WebCrypto algorithm dictionaries.
    pub name: &'static str,
    /// `hash` for RSA import and ECDSA verify; `None` for Ed25519.
    pub hash: Option<&'static str>,
    /// `saltLength` for RSA-PSS: the hash length, per RFC 7518 3.5.
    pub salt_length: Option<u32>,
    pub family: KeyFamily,
}

pub fn webcrypto(alg: SigningAlgorithm) -> WebCryptoAlgorithm {
    use SigningAlgorithm::*;
    let (name, hash, salt_length, family) = match alg {
        Rs256 => ("RSASSA-PKCS1-v1_5", Some("SHA-256"), None, KeyFamily::Rsa),
        Rs384 => ("RSASSA-PKCS1-v1_5", Some("SHA-384"), None, KeyFamily::Rsa),
        Rs512 => ("RSASSA-PKCS1-v1_5", Some("SHA-512"), None, KeyFamily::Rsa),
        Ps256 => ("RSA-PSS", Some("SHA-256"), Some(32), KeyFamily::Rsa),
        Ps384 => ("RSA-PSS", Some("SHA-384"), Some(48), KeyFamily::Rsa),
        Ps512 => ("RSA-PSS", Some("SHA-512"), Some(64), KeyFamily::Rsa),
        Es256 => ("ECDSA", Some("SHA-256"), None, KeyFamily::Ec("P-256")),
        Es384 => ("ECDSA", Some("SHA-384"), None, KeyFamily::Ec("P-384")),
        Es512 => ("ECDSA", Some("SHA-512"), None, KeyFamily::Ec("P-521")),
        EdDsa => ("Ed25519", None, None, KeyFamily::Okp),
    };
    WebCryptoAlgorithm {
        name,
        hash,
        salt_length,
        family,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A base64url modulus of exactly `bits` bits (the value is filler; only its length matters here).
    fn modulus(bits: usize) -> String {
        let mut bytes = vec![0xab; bits.div_ceil(8)];
        bytes[0] = 0xff >> (bytes.len() * 8 - bits);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn rsa_of(kid: Option<&str>, bits: usize) -> Value {
        let mut key = json!({"kty": "RSA", "n": modulus(bits), "e": "AQAB"});
        if let Some(kid) = kid {
            key["kid"] = json!(kid);
        }
        key
    }

    fn rsa(kid: Option<&str>) -> Value {
        rsa_of(kid, 2048)
    }

    fn ec(kid: &str, crv: &str) -> Value {
        json!({"kty": "EC", "kid": kid, "crv": crv, "x": "f83O", "y": "x_FE"})
    }

    fn set(keys: Vec<Value>) -> JwkSet {
        parse_jwks(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    fn header(kid: Option<&str>) -> JoseHeader {
        JoseHeader {
            alg: "RS256".into(),
            kid: kid.map(Into::into),
            typ: None,
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_kid_picks_exactly_that_key() {
        let keys = set(vec![rsa(Some("old")), rsa(Some("new"))]);
        let key = select_key(&keys, &header(Some("new")), SigningAlgorithm::Rs256).unwrap();
        assert_eq!(key.kid.as_deref(), Some("new"));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_unknown_kid_asks_for_a_refetch() {
        let keys = set(vec![rsa(Some("old"))]);
        let error = select_key(&keys, &header(Some("new")), SigningAlgorithm::Rs256).unwrap_err();
        assert_eq!(error, KeySelectionError::UnknownKid { kid: "new".into() });
        assert!(error.may_be_rotation());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn without_a_kid_a_single_fit_key_is_used() {
        // The EC key is not fit for RS256, so the RSA key is the only candidate.
        let keys = set(vec![rsa(None), ec("ec", "P-256")]);
        assert!(select_key(&keys, &header(None), SigningAlgorithm::Rs256).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn without_a_kid_several_fit_keys_are_ambiguous() {
        let keys = set(vec![rsa(Some("a")), rsa(Some("b"))]);
        let error = select_key(&keys, &header(None), SigningAlgorithm::Rs256).unwrap_err();
        assert_eq!(error, KeySelectionError::AmbiguousKey { alg: "RS256" });
        assert!(!error.may_be_rotation());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_key_with_the_right_kid_but_wrong_type_is_not_used() {
        let keys = set(vec![ec("k", "P-256")]);
        assert_eq!(
            select_key(&keys, &header(Some("k")), SigningAlgorithm::Rs256),
            Err(KeySelectionError::UnknownKid { kid: "k".into() })
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn curves_must_match_the_algorithm() {
        let keys = set(vec![ec("k", "P-384")]);
        assert!(select_key(&keys, &header(Some("k")), SigningAlgorithm::Es256).is_err());
        assert!(select_key(&keys, &header(Some("k")), SigningAlgorithm::Es384).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn use_key_ops_and_alg_of_the_key_are_honoured() {
        let mut enc = rsa(Some("k"));
        enc["use"] = json!("enc");
        let mut sign_only = rsa(Some("k"));
        sign_only["key_ops"] = json!(["sign"]);
        let mut ps = rsa(Some("k"));
        ps["alg"] = json!("PS256");
        for key in [enc, sign_only, ps] {
            let keys = set(vec![key.clone()]);
            assert!(
                select_key(&keys, &header(Some("k")), SigningAlgorithm::Rs256).is_err(),
                "{key} must not verify RS256"
            );
        }
        let mut sig = rsa(Some("k"));
        sig["use"] = json!("sig");
        sig["alg"] = json!("RS256");
        sig["key_ops"] = json!(["verify"]);
        assert!(select_key(&set(vec![sig]), &header(Some("k")), SigningAlgorithm::Rs256).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_empty_set_has_no_suitable_key() {
        assert_eq!(
            select_key(&JwkSet::default(), &header(None), SigningAlgorithm::Es256),
            Err(KeySelectionError::NoSuitableKey { alg: "ES256" })
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_modulus_length_counts_the_bits_of_the_top_octet_after_leading_zeros() {
        let bits_of = |n: &str| {
            serde_json::from_value::<Jwk>(json!({"kty": "RSA", "n": n, "e": "AQAB"}))
                .unwrap()
                .rsa_modulus_bits()
        };
        for bits in [1024, 2047, 2048, 2049, 4096] {
            assert_eq!(bits_of(&modulus(bits)), Some(bits));
        }
        // A leading zero octet (which RFC 7518 6.3.1.1 forbids, but providers send) adds nothing.
        let mut padded = vec![0, 0];
        padded.extend(URL_SAFE_NO_PAD.decode(modulus(1024)).unwrap());
        assert_eq!(bits_of(&URL_SAFE_NO_PAD.encode(padded)), Some(1024));
        assert_eq!(bits_of("AQAB"), Some(17));
        assert_eq!(bits_of("AAAA"), Some(0));
        assert_eq!(bits_of("not base64url!"), None);
    }

    // RFC 7518 3.3 and 3.5.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rsa_keys_below_2048_bits_are_refused_without_a_refetch() {
        for bits in [512, 1024, 2047] {
            for alg in [SigningAlgorithm::Rs256, SigningAlgorithm::Ps512] {
                let keys = set(vec![rsa_of(Some("weak"), bits)]);
                let error = select_key(&keys, &header(Some("weak")), alg).unwrap_err();
                assert_eq!(error, KeySelectionError::RsaKeyTooSmall { bits });
                assert!(
                    !error.may_be_rotation(),
                    "a weak key must not trigger a refetch"
                );
                // Without a kid, the single fit key is refused just the same.
                assert_eq!(
                    select_key(&keys, &header(None), alg),
                    Err(KeySelectionError::RsaKeyTooSmall { bits })
                );
            }
        }
        assert_eq!(
            KeySelectionError::RsaKeyTooSmall { bits: 1024 }.to_string(),
            "the provider's RSA key has 1024 bits; RFC 7518 3.3 requires at least 2048"
        );
        for bits in [2048, 3072, 4096] {
            let keys = set(vec![rsa_of(Some("strong"), bits)]);
            assert!(select_key(&keys, &header(Some("strong")), SigningAlgorithm::Rs256).is_ok());
        }
        // The size rule is about RSA: EC keys are sized by their curve.
        let keys = set(vec![ec("ec", "P-256")]);
        assert!(select_key(&keys, &header(Some("ec")), SigningAlgorithm::Es256).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_rsa_key_whose_modulus_is_not_base64url_is_not_fit() {
        let mut broken = rsa(Some("k"));
        broken["n"] = json!("sXch+/==");
        assert_eq!(
            select_key(
                &set(vec![broken]),
                &header(Some("k")),
                SigningAlgorithm::Rs256
            ),
            Err(KeySelectionError::UnknownKid { kid: "k".into() })
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn unreadable_keys_are_dropped_and_a_non_set_is_rejected() {
        let keys = set(vec![json!({"kty": 7}), json!("nope"), rsa(Some("ok"))]);
        assert_eq!(keys.keys.len(), 1);
        assert!(parse_jwks(b"{\"keys\": {}}").is_err());
        assert!(parse_jwks(b"<html>").is_err());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_saved_set_reads_back_like_a_fetched_one() {
        let keys = set(vec![rsa(Some("r")), ec("e", "P-256")]);
        let saved = serde_json::to_string(&keys).unwrap();
        assert_eq!(serde_json::from_str::<JwkSet>(&saved).unwrap(), keys);
        for broken in [json!({"keys": 5}), json!({}), json!([]), json!("keys")] {
            assert!(
                serde_json::from_value::<JwkSet>(broken.clone()).is_err(),
                "{broken}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn keys_are_read_by_hand_exactly_as_the_derive_reads_them() {
        // The derive still reads the copy saved in sessionStorage: both readers must keep and drop the same keys.
        let cases = [
            rsa(Some("r")),
            ec("e", "P-256"),
            json!({"kty": "EC", "use": "sig", "alg": "ES256", "key_ops": ["verify"], "x": "a", "y": "b"}),
            json!({"kty": "RSA", "kid": null, "use": null, "key_ops": null, "extra": [1, {"x": 2}]}),
            json!({"n": "AQAB"}),
            json!({"kty": null}),
            json!({"kty": 7}),
            json!({"kty": "RSA", "kid": 5}),
            json!({"kty": "RSA", "use": false}),
            json!({"kty": "RSA", "alg": {}}),
            json!({"kty": "RSA", "key_ops": "verify"}),
            json!({"kty": "RSA", "key_ops": ["verify", 1]}),
            json!({"kty": "RSA", "key_ops": [null]}),
            json!({"kty": "EC", "crv": 1}),
            json!({"kty": "EC", "x": []}),
            json!({"kty": "EC", "y": 2.5}),
            json!({"kty": "RSA", "e": true}),
            json!(null),
            json!("RSA"),
        ];
        for case in cases {
            let derived = serde_json::from_value::<Jwk>(case.clone()).ok();
            assert_eq!(jwk_from_value(&case), derived, "{case}");
        }
        // The one difference: a derive takes an array as the members in order, but RFC 7517 4 says "A JWK is a JSON
        // object".
        assert!(serde_json::from_value::<Jwk>(json!(["RSA", "k"])).is_ok());
        assert_eq!(jwk_from_value(&json!(["RSA", "k"])), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn webcrypto_parameters_follow_rfc_7518() {
        let ps = webcrypto(SigningAlgorithm::Ps384);
        assert_eq!(
            (ps.name, ps.hash, ps.salt_length),
            ("RSA-PSS", Some("SHA-384"), Some(48))
        );
        let es = webcrypto(SigningAlgorithm::Es512);
        assert_eq!((es.name, es.family), ("ECDSA", KeyFamily::Ec("P-521")));
        assert_eq!(webcrypto(SigningAlgorithm::EdDsa).hash, None);
    }
}
