//! Reading back what the app itself stored as JSON (a session, a pending sign-in): typed members of an object
//! parsed as a `serde_json::Value`. The stored types are read with these rather than derived readers: the first
//! load then carries one JSON reader (the `Value` one, which discovery, JWKS and the ID token need anyway) instead
//! of one more per stored type.

use serde_json::{Map, Value};

/// A type the app writes as JSON and reads back from the parsed `Value`: storage parses every stored text with the
/// one `Value` reader and hands the result here, instead of calling one `serde_json::from_slice::<T>` per type
/// (each an instantiation of the parser's entry, and for the small types a derived reader). `None`: not what the
/// app wrote (a missing or mistyped member), which the caller treats as garbage.
pub trait FromJson: Sized {
    fn from_json(value: Value) -> Option<Self>;

    /// JSON text parsed by the one `Value` reader, then read by [`from_json`](Self::from_json).
    fn from_json_text(json: &[u8]) -> Option<Self> {
        Self::from_json(serde_json::from_slice(json).ok()?)
    }
}

/// A list of strings, all of them (a derived `Vec<String>` refused the list for one non-string too).
impl FromJson for Vec<String> {
    fn from_json(value: Value) -> Option<Self> {
        let Value::Array(items) = value else {
            return None;
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Some(text),
                _ => None,
            })
            .collect()
    }
}

/// The text member `name`: `None` when absent or `null`, `Err(name)` when not a string.
pub fn text(
    members: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, &'static str> {
    match members.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(name),
    }
}

/// The non-negative integer member `name`, like [`text`].
pub fn number(
    members: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<u64>, &'static str> {
    match members.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number.as_u64().map(Some).ok_or(name),
        Some(_) => Err(name),
    }
}

/// The array member `name`, each item read by `item`, like [`text`].
pub fn list<T>(
    members: &mut Map<String, Value>,
    name: &'static str,
    item: impl FnMut(Value) -> Option<T>,
) -> Result<Option<Vec<T>>, &'static str> {
    match members.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(item)
            .collect::<Option<_>>()
            .map(Some)
            .ok_or(name),
        Some(_) => Err(name),
    }
}

/// A string, as `State`'s derive (`serde(transparent)`) read it.
impl FromJson for crate::secret::State {
    fn from_json(value: Value) -> Option<Self> {
        match value {
            Value::String(state) => Some(Self::new(state)),
            _ => None,
        }
    }
}
