//! What the app's tabs tell each other over a BroadcastChannel, as data: written with serde, read back by hand (one
//! JSON reader in the first load). The sending, receiving and sealing are `crate::auth::tabs`'s.

use serde::Serialize;
use serde_json::Value;

use crate::stored::{FromJson, text};

/// Externally tagged (`{"renewed": {...}}`): an internally tagged enum (`"type": ...`) buffers every message
/// through serde's `Content`, the machinery `serde(flatten)` uses too; this was its last user, and dropping it
/// saved 3.5 KB gzip of the first load.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TabMessage {
    /// The session that replaces the used-up refresh token with this fingerprint, sealed under that token's
    /// channel key (`iv` and `sealed` base64url).
    Renewed {
        consumed: String,
        iv: String,
        sealed: String,
    },
    /// A tab holds a refresh token that another tab used up: whoever has its successor, please send it.
    Wanted { consumed: String },
    /// The provider session of `issuer` has ended.
    ProviderSignedOut { issuer: String },
}

/// Read back by hand from the parsed message rather than by a derive (one JSON reader in the first load): an
/// object with one member named after the variant, holding an object with the variant's strings. Every member is
/// required and must be a string; others are ignored, as the derive did.
impl FromJson for TabMessage {
    fn from_json(value: Value) -> Option<Self> {
        let Value::Object(message) = value else {
            return None;
        };
        if message.len() != 1 {
            return None;
        }
        let (variant, Value::Object(mut members)) = message.into_iter().next()? else {
            return None;
        };
        let mut member = |name| text(&mut members, name).ok().flatten();
        Some(match variant.as_str() {
            "renewed" => TabMessage::Renewed {
                consumed: member("consumed")?,
                iv: member("iv")?,
                sealed: member("sealed")?,
            },
            "wanted" => TabMessage::Wanted {
                consumed: member("consumed")?,
            },
            "provider-signed-out" => TabMessage::ProviderSignedOut {
                issuer: member("issuer")?,
            },
            _ => return None,
        })
    }
}

impl TabMessage {
    /// A message from its JSON text, as [`FromJson`] reads it; `None` for anything a tab of this app did not post
    /// (any script of the origin can post on the channel).
    pub fn read(json: &[u8]) -> Option<Self> {
        Self::from_json_text(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_back_as_posted_and_nothing_else() {
        let messages = [
            TabMessage::Renewed {
                consumed: "fp".into(),
                iv: "iv".into(),
                sealed: "s".into(),
            },
            TabMessage::Wanted {
                consumed: "fp".into(),
            },
            TabMessage::ProviderSignedOut {
                issuer: "https://id.example".into(),
            },
        ];
        for message in messages {
            let text = serde_json::to_string(&message).unwrap();
            assert_eq!(TabMessage::read(text.as_bytes()), Some(message), "{text}");
        }
        for text in [
            r#"{"wanted":{"consumed":"fp"},"provider-signed-out":{"issuer":"i"}}"#,
            r#"{"wanted":{"consumed":7}}"#,
            r#"{"wanted":{"consumed":null}}"#,
            r#"{"wanted":{}}"#,
            r#"{"wanted":"fp"}"#,
            r#"{"renewed":{"consumed":"fp","iv":"iv"}}"#,
            r#"{"signed-out":{"issuer":"i"}}"#,
            r#"["wanted",{"consumed":"fp"}]"#,
            r#"{}"#,
        ] {
            assert_eq!(TabMessage::read(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            TabMessage::read(br#"{"wanted":{"consumed":"fp","extra":1}}"#),
            Some(TabMessage::Wanted {
                consumed: "fp".into()
            }),
            "unknown members are ignored"
        );
    }
}
