//! Reading back what the app itself stored as JSON (a session, a pending sign-in): typed members of an object
//! parsed as a `serde_json::Value`. The stored types are read with these rather than derived readers: the first
//! load then carries one JSON reader (the `Value` one, which discovery, JWKS and the ID token need anyway) instead
//! of one more per stored type.

use serde_json::{Map, Value};

/// The text member `name`: `None` when absent or `null`, `Err(name)` when not a string.
pub(crate) fn text(
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
pub(crate) fn number(
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
pub(crate) fn list<T>(
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
