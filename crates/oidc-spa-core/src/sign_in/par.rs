//! Pushed authorization requests (RFC 9126): the authorization request's parameters go to the provider over a back
//! channel first, and the browser carries only `client_id` and the `request_uri` the provider hands back, so no
//! parameter can be read or changed in the address bar, the history or a proxy's log. HTTP is the injected
//! `AsyncHttpClient` (the browser layer's, with a DPoP proof when the code is bound to a key, RFC 9449 10.1); this
//! module must not touch the network or any browser API itself.

use oauth2::http::StatusCode;
use oauth2::{AsyncHttpClient, HttpResponse};
use serde_json::Value;
use thiserror::Error;
use url::Url;

use crate::provider::config::{Config, ConfigError, Par};
use crate::provider::discovery::ProviderMetadata;
use crate::sign_in::authorize::{AuthorizationRequest, endpoint_with};
use crate::sign_in::token::{Kind, Members, form_post, parse_members};
use crate::stored::{number, text};

/// What the push endpoint gave back (RFC 9126 2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedRequest {
    /// The reference the authorization endpoint takes instead of the parameters; single use, short-lived.
    pub request_uri: String,
    /// Seconds the reference stays valid.
    pub expires_in: u64,
}

/// Why a push failed. No variant carries a parameter of the request (state, nonce, challenge) or the response body.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ParError {
    #[error("the pushed authorization request could not be sent")]
    Http(#[source] Box<dyn std::error::Error + 'static>),
    /// RFC 9126 2.3: an RFC 6749 5.2 error response; `description` is the provider's text, kept for the UI.
    #[error("the provider refused the pushed authorization request: {error}")]
    Provider {
        error: String,
        description: Option<String>,
        status: u16,
    },
    #[error("the pushed authorization request endpoint answered with HTTP status {status}")]
    Status { status: u16 },
    /// The success response did not have its shape: `field` names the member (`.` for the body itself).
    #[error("the pushed authorization response is malformed (at `{field}`)")]
    Malformed { field: &'static str },
}

/// Where this sign-in's request is pushed, if it is: the published (or configured) endpoint under `"par": "auto"`
/// and `"always"`. A configuration error when `"always"` meets a provider without the endpoint, or `"never"` a
/// provider that requires pushing (RFC 9126 5: `require_pushed_authorization_requests`): both found before the user
/// leaves, never a request the provider is bound to refuse.
pub fn push_endpoint<'m>(
    config: &Config,
    metadata: &'m ProviderMetadata,
) -> Result<Option<&'m Url>, ConfigError> {
    let endpoint = metadata.pushed_authorization_request_endpoint.as_ref();
    match (config.par, endpoint) {
        (Par::Never, _) if metadata.require_pushed_authorization_requests => {
            Err(ConfigError::ParRequired)
        }
        (Par::Never, _) => Ok(None),
        (Par::Always, None) => Err(ConfigError::ParUnsupported),
        // A provider that says it requires pushing but publishes nowhere to push to: the plain request, which it
        // will refuse with its own words at its authorization endpoint.
        (_, endpoint) => Ok(endpoint),
    }
}

/// Pushes `request` (RFC 9126 2.1): its parameters, `client_id` among them (a public client identifies itself in
/// the body, RFC 6749 2.3), as a form POST to `endpoint`.
pub async fn push<C>(
    http: &C,
    endpoint: &Url,
    request: &AuthorizationRequest,
) -> Result<PushedRequest, ParError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    let form: Vec<(&str, &str)> = (request.params.iter())
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let call = form_post(endpoint, &form).map_err(|source| ParError::Http(Box::new(source)))?;
    let response = http
        .call(call)
        .await
        .map_err(|source| ParError::Http(Box::new(source)))?;
    parse_response(&response)
}

/// RFC 9126 2.2: `201 Created` with a JSON object holding `request_uri` (a string) and `expires_in` (a positive
/// integer); 200 is taken too. Anything else is an error (2.3), the provider's own when it has the RFC 6749 5.2
/// shape.
pub fn parse_response(response: &HttpResponse) -> Result<PushedRequest, ParError> {
    let status = response.status();
    if status != StatusCode::CREATED && status != StatusCode::OK {
        let status = status.as_u16();
        return Err(match parse_members(response.body(), Kind::Error) {
            Ok(Members {
                error: Some(error),
                error_description: description,
                ..
            }) => ParError::Provider {
                error,
                description,
                status,
            },
            _ => ParError::Status { status },
        });
    }
    let Ok(Value::Object(mut members)) = serde_json::from_slice(response.body()) else {
        return Err(ParError::Malformed { field: "." });
    };
    let malformed = |field| ParError::Malformed { field };
    let request_uri = text(&mut members, "request_uri")
        .map_err(malformed)?
        .filter(|uri| !uri.is_empty())
        .ok_or(malformed("request_uri"))?;
    let expires_in = number(&mut members, "expires_in")
        .map_err(malformed)?
        .filter(|&seconds| seconds > 0)
        .ok_or(malformed("expires_in"))?;
    Ok(PushedRequest {
        request_uri,
        expires_in,
    })
}

/// Where the browser goes after a push (RFC 9126 4): the authorization endpoint, its own query kept (RFC 6749 3.1),
/// with `client_id` and `request_uri` only.
pub fn redirect_url(authorization_endpoint: &Url, client_id: &str, pushed: &PushedRequest) -> Url {
    let reference = [
        ("client_id".to_owned(), client_id.to_owned()),
        ("request_uri".to_owned(), pushed.request_uri.clone()),
    ];
    endpoint_with(
        authorization_endpoint,
        |name| name == "client_id" || name == "request_uri",
        &reference,
    )
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;
    use oauth2::HttpRequest;

    use super::*;
    use crate::sign_in::authorize::authorization_request;
    use crate::testing::{NOW, config, config_with, counting_random, metadata, respond};

    const PAR: &str = "https://id.example/realms/demo/protocol/openid-connect/ext/par/request";

    fn metadata_with(endpoint: Option<&str>, required: bool) -> ProviderMetadata {
        ProviderMetadata {
            pushed_authorization_request_endpoint: endpoint.map(|url| Url::parse(url).unwrap()),
            require_pushed_authorization_requests: required,
            ..metadata()
        }
    }

    fn read(status: u16, body: &str) -> Result<PushedRequest, ParError> {
        let response = block_on(respond(status, Some("application/json"), body)).unwrap();
        parse_response(&response)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pushes_where_the_provider_publishes_unless_never() {
        let auto = config();
        let always = config_with(r#", "par": "always""#).unwrap();
        let never = config_with(r#", "par": "never""#).unwrap();
        let published = metadata_with(Some(PAR), false);
        let required = metadata_with(Some(PAR), true);
        let absent = metadata_with(None, false);
        fn at(result: Result<Option<&Url>, ConfigError>) -> Option<&str> {
            result.unwrap().map(Url::as_str)
        }

        assert_eq!(at(push_endpoint(&auto, &published)), Some(PAR));
        assert_eq!(at(push_endpoint(&auto, &absent)), None);
        assert_eq!(at(push_endpoint(&auto, &required)), Some(PAR));
        assert_eq!(at(push_endpoint(&always, &published)), Some(PAR));
        assert!(matches!(
            push_endpoint(&always, &absent),
            Err(ConfigError::ParUnsupported)
        ));
        assert_eq!(at(push_endpoint(&never, &published)), None);
        assert!(matches!(
            push_endpoint(&never, &required),
            Err(ConfigError::ParRequired)
        ));
        assert!(
            config_with(r#", "par": true"#).is_err(),
            "a mode by name only"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_push_carries_the_parameters_and_the_redirect_only_the_reference() {
        let request =
            authorization_request(&config(), &metadata(), "/", NOW, &mut counting_random());
        let sent = RefCell::new(None);
        let client = |call: HttpRequest| {
            sent.replace(Some(call));
            respond(
                201,
                Some("application/json"),
                r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#,
            )
        };
        let endpoint = Url::parse(PAR).unwrap();
        let pushed = block_on(push(&client, &endpoint, &request)).unwrap();
        assert_eq!(pushed.request_uri, "urn:ietf:params:oauth:request_uri:abc");
        assert_eq!(pushed.expires_in, 60);

        let sent = sent.take().expect("one request");
        assert_eq!(sent.uri().to_string(), PAR);
        assert_eq!(sent.method(), "POST");
        let body: Vec<(String, String)> = url::form_urlencoded::parse(sent.body())
            .into_owned()
            .collect();
        assert_eq!(body, request.params);
        let names: Vec<&str> = body.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method"
            ]
        );

        let mut endpoint = metadata().authorization_endpoint;
        endpoint.set_query(Some("p=B2C_1_signin&client_id=other"));
        assert_eq!(
            redirect_url(&endpoint, "spa", &pushed).query(),
            Some(
                "p=B2C_1_signin&client_id=spa&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
            ),
            "the endpoint's own query kept, then client_id and request_uri only"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_response_is_checked() {
        assert!(read(201, r#"{"request_uri":"urn:x","expires_in":90}"#).is_ok());
        assert!(read(200, r#"{"request_uri":"urn:x","expires_in":90}"#).is_ok());
        for (body, field) in [
            ("not json", "."),
            ("[]", "."),
            (r#"{"expires_in":90}"#, "request_uri"),
            (r#"{"request_uri":"","expires_in":90}"#, "request_uri"),
            (r#"{"request_uri":7,"expires_in":90}"#, "request_uri"),
            (r#"{"request_uri":"urn:x"}"#, "expires_in"),
            (r#"{"request_uri":"urn:x","expires_in":0}"#, "expires_in"),
            (r#"{"request_uri":"urn:x","expires_in":"90"}"#, "expires_in"),
            (r#"{"request_uri":"urn:x","expires_in":-1}"#, "expires_in"),
        ] {
            match read(201, body) {
                Err(ParError::Malformed { field: at }) => assert_eq!(at, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        match read(
            400,
            r#"{"error":"invalid_request","error_description":"no such redirect_uri"}"#,
        ) {
            Err(ParError::Provider {
                error,
                description,
                status,
            }) => assert_eq!(
                (error.as_str(), description.as_deref(), status),
                ("invalid_request", Some("no such redirect_uri"), 400)
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read(503, "<html>busy</html>"),
            Err(ParError::Status { status: 503 })
        ));
        assert!(matches!(
            read(302, ""),
            Err(ParError::Status { status: 302 })
        ));
    }
}
