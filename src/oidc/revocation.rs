//! Token revocation at sign-out (RFC 7009) through the oauth2 crate. HTTP is the injected client; a failure is
//! reported to the caller, which must never let it block the sign-out itself.

use oauth2::basic::BasicRevocationErrorResponse;
use oauth2::{AsyncHttpClient, RequestTokenError, RevocationUrl, StandardRevocableToken};
use thiserror::Error;

use super::config::Config;
use super::discovery::ProviderMetadata;
use super::secret::{AccessToken, RefreshToken};
use super::token::oauth2_client;

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
    #[error("the provider's revocation answer was not understood")]
    Unexpected,
}

/// Revokes one token (RFC 7009 2.1): POST `token`, `token_type_hint` and `client_id` to the revocation endpoint.
/// RFC 7009 2.2: the provider answers 200 whether or not the token was valid.
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
        .clone()
        .ok_or(RevocationError::NotSupported)?;
    let client =
        oauth2_client(config, metadata).set_revocation_url(RevocationUrl::from_url(endpoint));
    let token = match token {
        Revocable::Refresh(token) => StandardRevocableToken::RefreshToken(
            oauth2::RefreshToken::new(token.secret().to_owned()),
        ),
        Revocable::Access(token) => {
            StandardRevocableToken::AccessToken(oauth2::AccessToken::new(token.secret().to_owned()))
        }
    };
    let request = client
        .revoke_token(token)
        .map_err(|_| RevocationError::NotSupported)?;
    request.request_async(http).await.map_err(revocation_error)
}

fn revocation_error<RE>(
    error: RequestTokenError<RE, BasicRevocationErrorResponse>,
) -> RevocationError
where
    RE: std::error::Error + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => RevocationError::Provider {
            error: response.error().to_string(),
        },
        RequestTokenError::Request(source) => RevocationError::Http(Box::new(source)),
        // Never the body: it is the provider's and may echo the token.
        RequestTokenError::Parse(_, _) | RequestTokenError::Other(_) => RevocationError::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::testing::{config, metadata, respond};
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
            Result<oauth2::HttpResponse, crate::oidc::testing::FakeHttpError>,
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
