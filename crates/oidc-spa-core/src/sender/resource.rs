//! Calling a resource server with the access token (RFC 6750): which origins may receive it, and what a
//! `WWW-Authenticate` challenge says. Pure: takes URLs and header values, returns decisions.

use thiserror::Error;
use url::Url;

use crate::sender::challenge::challenge_param;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ResourceError {
    /// The token would leave for an origin the configuration does not list (`api_origins`).
    #[error("the access token is not sent to {origin}: it is not listed in api_origins")]
    OriginNotAllowed { origin: String },
    /// config.json lists no `api_origins`: the token goes nowhere.
    #[error(
        "the access token is not sent to {origin}: config.json lists no api_origins (the origins it may go to)"
    )]
    NoOrigins { origin: String },
}

/// Whether the access token may go to `url`: its origin (scheme, host, port) must be one of `allowed`, which
/// [`Config`](crate::provider::config::Config) keeps as ASCII-serialized origins. The check runs before any request is made.
pub fn check_origin(url: &Url, allowed: &[String]) -> Result<(), ResourceError> {
    let origin = url.origin().ascii_serialization();
    if allowed.is_empty() {
        Err(ResourceError::NoOrigins { origin })
    } else if url.origin().is_tuple() && allowed.contains(&origin) {
        Ok(())
    } else {
        Err(ResourceError::OriginNotAllowed { origin })
    }
}

/// RFC 6750 2.1: whether `token` can go in an `Authorization: Bearer` header as it is:
/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. A provider's token outside that
/// grammar (a line break, say) is refused rather than sent.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// RFC 9470 3: the resource server's word that the user's authentication does not suffice for this call, and what
/// would: the authentication context classes it accepts and how recent the authentication must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepUp {
    /// Space-separated `acr` values, in order of preference; `None` when the challenge names none.
    pub acr_values: Option<String>,
    /// The longest time, in seconds, since the user last authenticated actively.
    pub max_age: Option<u64>,
}

/// RFC 9470 3: a `WWW-Authenticate` (of a 401) whose Bearer or DPoP challenge says
/// `error="insufficient_user_authentication"`, with its `acr_values` and `max_age` (a `max_age` that is not a
/// non-negative integer is left out, not guessed). `None` for any other challenge.
pub fn step_up(header: &str) -> Option<StepUp> {
    ["Bearer", crate::sender::dpop::AUTHORIZATION_SCHEME]
        .into_iter()
        .find(|scheme| {
            challenge_param(header, scheme, "error").as_deref()
                == Some("insufficient_user_authentication")
        })
        .map(|scheme| StepUp {
            acr_values: challenge_param(header, scheme, "acr_values")
                .filter(|values| !values.trim().is_empty()),
            max_age: challenge_param(header, scheme, "max_age").and_then(|age| age.parse().ok()),
        })
}

/// RFC 6750 3.1: a 401 whose Bearer challenge says `error="invalid_token"` ("The access token provided is expired,
/// revoked, malformed, or invalid for other reasons") means a renewed token may succeed; so does a DPoP challenge
/// saying it (RFC 9449 7.1 uses the same error codes). `header` is the `WWW-Authenticate` value; other schemes'
/// challenges in it are skipped, and unreadable text is not an `invalid_token`.
pub fn is_invalid_token(header: &str) -> bool {
    ["Bearer", crate::sender::dpop::AUTHORIZATION_SCHEME]
        .into_iter()
        .any(|scheme| challenge_param(header, scheme, "error").as_deref() == Some("invalid_token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_step_up_challenge_is_read_as_rfc_9470_3_writes_it() {
        // RFC 9470 3's own examples.
        assert_eq!(
            step_up(
                r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR""#
            ),
            Some(StepUp {
                acr_values: Some("myACR".into()),
                max_age: None
            })
        );
        assert_eq!(
            step_up(
                r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5""#
            ),
            Some(StepUp {
                acr_values: None,
                max_age: Some(5)
            })
        );
        // DPoP's scheme too, other challenges beside it, token syntax, several values.
        assert_eq!(
            step_up(
                r#"Basic realm="x", DPoP algs="ES256", error=insufficient_user_authentication, acr_values="urn:a urn:b", max_age=0"#
            ),
            Some(StepUp {
                acr_values: Some("urn:a urn:b".into()),
                max_age: Some(0)
            })
        );
        // A max_age that is not a count of seconds is left out.
        assert_eq!(
            step_up(r#"Bearer error="insufficient_user_authentication", max_age="-1""#)
                .map(|s| s.max_age),
            Some(None)
        );
        for other in [
            r#"Bearer error="invalid_token""#,
            r#"Bearer realm="api""#,
            r#"Basic error="insufficient_user_authentication""#,
            "",
            "Bearer error=\"insufficient_user_authentication",
        ] {
            assert_eq!(step_up(other), None, "{other}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_listed_origins_receive_the_token() {
        let allowed = vec![
            "https://api.example".to_owned(),
            "http://127.0.0.1:9200".to_owned(),
        ];
        let check = |url: &str| check_origin(&Url::parse(url).unwrap(), &allowed);
        assert_eq!(check("https://api.example/v1/me?x=1"), Ok(()));
        assert_eq!(check("https://api.example:443/me"), Ok(()));
        assert_eq!(check("http://127.0.0.1:9200/me"), Ok(()));
        for (url, origin) in [
            ("https://evil.example/me", "https://evil.example"),
            ("http://api.example/me", "http://api.example"),
            ("https://api.example:8443/me", "https://api.example:8443"),
            (
                "https://api.example.evil.example/",
                "https://api.example.evil.example",
            ),
            ("http://127.0.0.1:9201/me", "http://127.0.0.1:9201"),
        ] {
            let error = check(url).unwrap_err();
            assert_eq!(
                error,
                ResourceError::OriginNotAllowed {
                    origin: origin.into()
                }
            );
            assert!(error.to_string().contains(origin), "{error}");
        }
        // Opaque origins (data:, blob:, file:) never match, even an allow-list naming "null".
        let null = vec!["null".to_owned()];
        assert!(check_origin(&Url::parse("data:text/plain,x").unwrap(), &null).is_err());
        // No list, no origin: not even the app's own, which a shared host gives to every path.
        assert!(matches!(
            check_origin(&Url::parse("https://app.example/api").unwrap(), &[]),
            Err(ResourceError::NoOrigins { origin }) if origin == "https://app.example"
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_b64tokens_go_in_the_header() {
        for good in ["abc", "eyJh.eyJz.c2ln", "a-b_c~d+e/f==", "Zm9v="] {
            assert!(is_b64token(good), "{good}");
        }
        for bad in [
            "",
            "=",
            "a b",
            "a\r\nX-Evil: 1",
            "tok\u{e9}n",
            "a,b",
            "a\"b",
            "a=b",
        ] {
            assert!(!is_b64token(bad), "{bad:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reads_invalid_token_from_bearer_and_dpop_challenges_only() {
        assert!(is_invalid_token(r#"Bearer error="invalid_token""#));
        assert!(is_invalid_token(
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#
        ));
        assert!(is_invalid_token(r#"bearer realm=api,error=invalid_token"#));
        assert!(is_invalid_token(
            r#"Basic realm="x", Bearer realm="a, b", error="invalid_token""#
        ));
        assert!(is_invalid_token(
            r#"DPoP algs="ES256", Bearer error="invalid_token""#
        ));
        // RFC 6750 3.1: no error when no token was sent; other errors do not call for a new token.
        assert!(!is_invalid_token(r#"Bearer realm="example""#));
        assert!(!is_invalid_token(
            r#"Bearer error="insufficient_scope", scope="read""#
        ));
        assert!(!is_invalid_token(r#"Bearer error="invalid_request""#));
        // RFC 9449 7.1: a DPoP challenge carries the same errors.
        assert!(is_invalid_token(r#"DPoP error="invalid_token""#));
        assert!(is_invalid_token(
            r#"DPoP error="invalid_token", Bearer realm="x""#
        ));
        assert!(!is_invalid_token(r#"DPoP error="use_dpop_nonce""#));
        // The error of another scheme's challenge is not the Bearer or DPoP one.
        assert!(!is_invalid_token(r#"Basic error="invalid_token""#));
        assert!(!is_invalid_token(
            r#"Custom error="invalid_token", Bearer realm="x""#
        ));
        // Garbage is not an invalid_token.
        for garbage in [
            "",
            "Bearer",
            "Bearer error=",
            r#"Bearer error="invalid_token"#,
            "=",
            ",,,",
        ] {
            assert!(!is_invalid_token(garbage), "{garbage:?}");
        }
        assert!(is_invalid_token(r#"Bearer error="invalid\_token""#));
    }
}
