//! Token revocation at sign-out (RFC 7009). HTTP is the injected client; a failure is reported to the caller,
//! which must never let it block the sign-out itself.
//!
//! The request is built here rather than by the oauth2 crate, whose `revoke_token` refuses any non-https
//! endpoint, including the loopback providers of development; the endpoint already passed discovery's URL
//! policy (https, or http on loopback only).

use oauth2::{AsyncHttpClient, HttpRequest};
use thiserror::Error;

use crate::provider::config::Config;
use crate::provider::discovery::ProviderMetadata;
use crate::secret::{AccessToken, RefreshToken};
use crate::sign_in::token::{Kind, Members, form_post, parse_members};

/// A token to revoke; its kind becomes the `token_type_hint` (RFC 7009 2.1).
#[derive(Clone, Copy, Debug)]
pub enum Revocable<'a> {
    Refresh(&'a RefreshToken),
    Access(&'a AccessToken),
}

#[derive(Debug, Error)]
pub enum RevocationError {
    #[error("the provider offers no revocation endpoint")]
    NotSupported,
    #[error("the revocation request could not be sent")]
    Http(#[source] Box<dyn std::error::Error + 'static>),
    #[error("the provider refused to revoke the token: {error}")]
    Provider { error: String },
    #[error("the provider answered the revocation with HTTP status {status}")]
    Status { status: u16 },
}

/// Revokes one token (RFC 7009 2.1): POST `token`, `token_type_hint` and `client_id` (a public client
/// identifies itself in the body, RFC 6749 2.3) as a form to the revocation endpoint. RFC 7009 2.2: the provider
/// answers 200 whether or not the token was valid.
pub async fn revoke<C>(
    http: &C,
    config: &Config,
    metadata: &ProviderMetadata,
    token: Revocable<'_>,
) -> Result<(), RevocationError>
where
    C: for<'c> AsyncHttpClient<'c>,
{
    let endpoint = metadata
        .revocation_endpoint
        .as_ref()
        .ok_or(RevocationError::NotSupported)?;
    let request = revocation_request(endpoint, &config.client_id, token)
        .ok_or(RevocationError::NotSupported)?;
    let response = http
        .call(request)
        .await
        .map_err(|source| RevocationError::Http(Box::new(source)))?;
    match response.status().as_u16() {
        200..=299 => Ok(()),
        // RFC 7009 2.2.1: errors are RFC 6749 5.2 error responses. The body is read for `error` only.
        400 => match parse_members(response.body(), Kind::Error) {
            Ok(Members {
                error: Some(error), ..
            }) => Err(RevocationError::Provider { error }),
            _ => Err(RevocationError::Status { status: 400 }),
        },
        status => Err(RevocationError::Status { status }),
    }
}

fn revocation_request(
    endpoint: &url::Url,
    client_id: &str,
    token: Revocable<'_>,
) -> Option<HttpRequest> {
    let (secret, hint) = match token {
        Revocable::Refresh(token) => (token.secret(), "refresh_token"),
        Revocable::Access(token) => (token.secret(), "access_token"),
    };
    // Fails only if the endpoint URL does not convert to an HTTP URI, which a parsed `Url` always does.
    form_post(
        endpoint,
        &[
            ("token", secret),
            ("token_type_hint", hint),
            ("client_id", client_id),
        ],
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{config, metadata, respond};
    use futures::executor::block_on;
    use oauth2::HttpRequest;
    use oauth2::http::{Method, header};

    fn form(request: &HttpRequest) -> Vec<(String, String)> {
        url::form_urlencoded::parse(request.body())
            .into_owned()
            .collect()
    }

    fn revoke_with(
        token: Revocable<'_>,
        hint: &'static str,
        status: u16,
        body: &'static str,
    ) -> Result<(), RevocationError> {
        let endpoint = metadata().revocation_endpoint.expect("fixture has one");
        let client = move |request: HttpRequest| {
            assert_eq!(request.method(), Method::POST);
            assert_eq!(request.uri().to_string(), endpoint.as_str());
            assert!(request.headers().get(header::AUTHORIZATION).is_none());
            let form = form(&request);
            assert!(
                form.contains(&("token_type_hint".into(), hint.into())),
                "{form:?}"
            );
            assert!(
                form.contains(&("client_id".into(), "spa".into())),
                "{form:?}"
            );
            assert!(form.iter().any(|(name, _)| name == "token"));
            respond(status, Some("application/json"), body)
        };
        block_on(revoke(&client, &config(), &metadata(), token))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn revokes_refresh_and_access_tokens_with_their_hints() {
        let refresh = RefreshToken::new("rt".into());
        let access = AccessToken::new("at".into());
        assert!(revoke_with(Revocable::Refresh(&refresh), "refresh_token", 200, "").is_ok());
        assert!(revoke_with(Revocable::Access(&access), "access_token", 200, "").is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_refusal_is_reported() {
        let refresh = RefreshToken::new("rt".into());
        let error = revoke_with(
            Revocable::Refresh(&refresh),
            "refresh_token",
            400,
            r#"{"error":"unsupported_token_type"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(error, RevocationError::Provider { ref error } if error == "unsupported_token_type")
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn without_an_endpoint_nothing_is_sent() {
        let mut metadata = metadata();
        metadata.revocation_endpoint = None;
        let client = |_: HttpRequest| -> std::future::Ready<
            Result<oauth2::HttpResponse, crate::testing::FakeHttpError>,
        > { panic!("no request may be sent") };
        let refresh = RefreshToken::new("rt".into());
        assert!(matches!(
            block_on(revoke(
                &client,
                &config(),
                &metadata,
                Revocable::Refresh(&refresh)
            )),
            Err(RevocationError::NotSupported)
        ));
    }
}
