//! Calling APIs with the session's access token: a token that stays valid long enough (renewed first when it would
//! not be), and requests that carry it in the `Authorization` header (RFC 6750 2.1) to the configured origins only,
//! renewing and retrying once when the API says the token is invalid (RFC 6750 3.1), and a typed error when it asks
//! for a stronger or more recent sign-in (RFC 9470).

use std::rc::Rc;

use gloo_net::http::{Method, Response};
use url::Url;
use web_sys::RequestCache;

use super::provider::AuthHandle;
use super::{AuthError, AuthState, dpop, renew};
use crate::browser::{clock, http, storage, wake};
use crate::oidc::config::{AuthorizationParams, Config};
use crate::oidc::dpop::{DPOP_HEADER, NONCE_HEADER, Server};
use crate::oidc::renewal::fresh_enough;
use crate::oidc::resource::{
    ResourceError, StepUp, check_origin, is_b64token, is_invalid_token, step_up,
};
use crate::oidc::secret::AccessToken;
use crate::oidc::session::Session;

/// Why no access token, or no API response, could be had. Never carries a token.
///
/// ```no_run
/// # use yew_oidc_spa::{ApiError, ApiRequest, AuthHandle};
/// # async fn orders(auth: &AuthHandle, request: &ApiRequest) {
/// match auth.fetch(request).await {
///     Ok(response) => { /* response.status(), response.json().await */ }
///     Err(ApiError::SessionEnded) => { /* the auth state shows why; offer a sign-in */ }
///     Err(error) => web_sys::console::log_1(&error.to_string().into()),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The URL's origin is not in `api_origins`; nothing was sent.
    #[error("{0}")]
    Origin(#[from] ResourceError),
    #[error("nobody is signed in")]
    NotSignedIn,
    /// The session ended while getting a token (the provider refused the refresh token, or it expired without
    /// one); the auth state says why.
    #[error("the session has ended; sign in again")]
    SessionEnded,
    /// The access token needed renewing, and the browser is offline. The session is kept and renews when the
    /// network is back; try again then.
    #[error(
        "the browser is offline, so the session could not be renewed; it will renew when the network is back"
    )]
    Offline,
    /// The access token needed renewing, and the provider did not answer (or failed, or asked to slow down) within
    /// the wait. The session is kept and keeps trying.
    #[error(
        "the provider is unavailable, so the session could not be renewed yet ({0}); it keeps trying"
    )]
    ProviderUnavailable(Rc<AuthError>),
    /// The provider issued an access token that expires within seconds (`expires_in: 0`, say): it is not sent.
    #[error("the provider issued an access token that has already expired")]
    ExpiredOnArrival,
    #[error("the request could not be sent ({0})")]
    Network(String),
    /// The provider's access token is not a valid RFC 6750 b64token, so it cannot go in a header.
    #[error("the access token cannot be sent: it is not a valid bearer token (RFC 6750 2.1)")]
    UnusableToken,
    #[error("the request header `{name}` is not valid")]
    BadHeader { name: String },
    /// The session's tokens are DPoP-bound and no proof could be made (its key gone from IndexedDB, say).
    #[error("{0}")]
    Dpop(#[source] AuthError),
    /// The API answered 401 `insufficient_user_authentication` (RFC 9470 3): this call needs a stronger or a more
    /// recent sign-in, which [`AuthHandle::step_up`] asks the provider for; then call again.
    #[error("the API asks for a stronger or more recent sign-in (RFC 9470)")]
    StepUp(StepUp),
}

/// A request to an API. The access token is added when it is sent, and again, renewed, if the API refuses it.
///
/// ```no_run
/// # use url::Url;
/// # use yew_oidc_spa::{ApiRequest, AuthHandle};
/// # async fn orders(auth: &AuthHandle) -> Result<(), Box<dyn std::error::Error>> {
/// let request = ApiRequest::get(Url::parse("https://api.example.com/orders")?).header("Accept", "application/json");
/// let response = auth.fetch(&request).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ApiRequest {
    method: Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

impl ApiRequest {
    pub fn new(method: Method, url: Url) -> ApiRequest {
        ApiRequest {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(url: Url) -> ApiRequest {
        ApiRequest::new(Method::GET, url)
    }

    /// Adds a header. An `Authorization` header set here is replaced by the access token's.
    pub fn header(mut self, name: &str, value: &str) -> ApiRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A text body, sent with whatever `Content-Type` header was added.
    pub fn body(mut self, body: String) -> ApiRequest {
        self.body = Some(body);
        self
    }

    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl AuthHandle {
    /// An access token that stays valid for at least the renewal margin: renewed first when it would not (one
    /// renewal at a time across tabs, and never two refresh requests in one tab). Fails with
    /// [`ApiError::SessionEnded`] when the session ended on the way, and the auth state then says why.
    ///
    /// ```no_run
    /// # async fn call(auth: &yew_oidc_spa::AuthHandle) -> Result<(), yew_oidc_spa::ApiError> {
    /// let token = auth.access_token().await?;
    /// // token.secret(): for a client that is not `fetch`, e.g. a WebSocket's first message.
    /// # Ok(())
    /// # }
    /// ```
    pub async fn access_token(&self) -> Result<AccessToken, ApiError> {
        let token = async { Ok(self.fresh_session().await?.access_token) };
        storage::within(self.namespace(), token).await
    }

    /// The stored session, renewed first when its access token would not last the margin.
    async fn fresh_session(&self) -> Result<Session, ApiError> {
        let config = self.config().ok_or(ApiError::NotSignedIn)?;
        let session = stored(config)?;
        if fresh_enough(&session, clock::now(), config.renew_margin_seconds) {
            return Ok(session);
        }
        self.renewed(config, &session).await
    }

    /// Sends `request` with `Authorization: Bearer <access token>` (RFC 6750 2.1), or `Authorization: DPoP <access
    /// token>` and a proof for a DPoP-bound session (RFC 9449 7, retried once with the API's nonce when it asks
    /// for one), only to an origin listed in `api_origins` (checked before anything is sent). A 401 whose challenge says `error="invalid_token"`
    /// (RFC 6750 3.1) renews the token once and sends the request once more; one that says
    /// `error="insufficient_user_authentication"` (RFC 9470) is [`ApiError::StepUp`], with what the API asks for.
    /// Redirects are refused, so the token cannot follow one elsewhere; nothing is cached.
    ///
    /// ```no_run
    /// # use yew_oidc_spa::{ApiRequest, AuthHandle};
    /// # #[derive(serde::Deserialize)]
    /// # struct Order {}
    /// # async fn orders(auth: &AuthHandle, url: url::Url) -> Result<(), Box<dyn std::error::Error>> {
    /// let response = auth.fetch(&ApiRequest::get(url)).await?;
    /// if response.ok() {
    ///     let orders: Vec<Order> = response.json().await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch(&self, request: &ApiRequest) -> Result<Response, ApiError> {
        storage::within(self.namespace(), self.fetch_here(request)).await
    }

    /// [`fetch`](Self::fetch), in this instance's namespace.
    async fn fetch_here(&self, request: &ApiRequest) -> Result<Response, ApiError> {
        let config = self.config().ok_or(ApiError::NotSignedIn)?;
        check_origin(&request.url, &config.api_origins)?;
        let sent = self.fresh_session().await?;
        let response = answered(send(request, &sent).await?)?;
        let refused = response.status() == 401
            && response
                .headers()
                .get("www-authenticate")
                .is_some_and(|challenge| is_invalid_token(&challenge));
        if !refused {
            return Ok(response);
        }
        // Another request of this tab may have renewed it meanwhile; else renew now.
        let session = stored(config)?;
        let session = if session.access_token == sent.access_token {
            self.renewed(config, &session).await?
        } else {
            session
        };
        if session.access_token == sent.access_token {
            // Nothing to renew with: the API's answer stands.
            return Ok(response);
        }
        answered(send(request, &session).await?)
    }

    /// Signs in again with what an API's step-up challenge asks for (RFC 9470 4: its `acr_values`, requested as
    /// essential and checked in the ID token, and its `max_age`), coming back to `return_to`; the configuration's
    /// other parameters still apply. The new session replaces the current one when the user returns; call the
    /// API again then.
    ///
    /// ```no_run
    /// # use yew_oidc_spa::{ApiError, ApiRequest, AuthHandle};
    /// # async fn transfer(auth: &AuthHandle, request: &ApiRequest) {
    /// match auth.fetch(request).await {
    ///     Err(ApiError::StepUp(challenge)) => auth.step_up(&challenge, "/transfer?again"),
    ///     _ => {}
    /// }
    /// # }
    /// ```
    pub fn step_up(&self, challenge: &StepUp, return_to: &str) {
        self.sign_in_with(return_to, &AuthorizationParams::step_up(challenge));
    }

    /// [`step_up`](Self::step_up) in a sign-in window ([`sign_in_popup`](Self::sign_in_popup)): the page stays, and
    /// the call can be made again once the state shows the new session. Call it in a click handler.
    pub fn step_up_popup(&self, challenge: &StepUp) {
        self.sign_in_popup_with(&AuthorizationParams::step_up(challenge));
    }

    /// Has the session renewed and returns the renewed one. The renewal is the watcher's, the one place a tab
    /// renews ([`renew::renew_now`]): so one refresh at a time, never within
    /// [`MIN_RENEW_INTERVAL_SECONDS`](crate::oidc::renewal::MIN_RENEW_INTERVAL_SECONDS) of the last (an API that
    /// answers `invalid_token` for ever, a provider that issues `expires_in: 0`), a backoff or `Retry-After` kept,
    /// and a caller that stops waiting cannot cut a refresh off mid-flight. While renewals fail for a reason that
    /// passes, a token that lasts
    /// [`MIN_TOKEN_VALIDITY_SECONDS`](crate::oidc::renewal::MIN_TOKEN_VALIDITY_SECONDS) more is handed out as it is; without one, this waits
    /// up to [`API_RENEWAL_WAIT_SECONDS`] (at once when the network comes back), then fails with
    /// [`ApiError::Offline`] or [`ApiError::ProviderUnavailable`]. The session itself stays.
    async fn renewed(&self, config: &Config, seen: &Session) -> Result<Session, ApiError> {
        // Lasts MIN_TOKEN_VALIDITY_SECONDS more: `fresh_enough` without a margin.
        let usable = |session: &Session| fresh_enough(session, clock::now(), 0);
        if seen.refresh_token.is_none() {
            return if seen.is_expired(clock::now()) {
                Err(ApiError::SessionEnded)
            } else {
                Ok(seen.clone())
            };
        }
        // Only a session shown has a watcher to renew it.
        if !matches!(self.state(), AuthState::SignedIn(_)) {
            return Err(ApiError::NotSignedIn);
        }
        let give_up_at = clock::now().saturating_add(API_RENEWAL_WAIT_SECONDS);
        renew::renew_now();
        loop {
            match stored(config) {
                Err(_) => return Err(ApiError::SessionEnded),
                Ok(current) if current.access_token != seen.access_token => {
                    return if usable(&current) {
                        Ok(current)
                    } else {
                        Err(ApiError::ExpiredOnArrival)
                    };
                }
                Ok(_) => {}
            }
            let failing = renew::failing();
            if failing.is_some() && usable(seen) {
                return Ok(seen.clone());
            }
            let now = clock::now();
            if now >= give_up_at {
                return Err(match failing {
                    Some(error) if wake::is_online() => ApiError::ProviderUnavailable(error),
                    _ => ApiError::Offline,
                });
            }
            // Woken when an attempt ends or the network comes back; else a look every second.
            wake::sleep(((give_up_at - now) * 1000).min(1000) as u32).await;
        }
    }
}

/// The API's answer, or [`ApiError::StepUp`] when it is a 401 with a step-up challenge (RFC 9470 3).
fn answered(response: Response) -> Result<Response, ApiError> {
    if response.status() == 401
        && let Some(challenge) = response.headers().get("www-authenticate")
        && let Some(wanted) = step_up(&challenge)
    {
        return Err(ApiError::StepUp(wanted));
    }
    Ok(response)
}

/// How long `access_token()` and `fetch()` wait for a renewal the session cannot do without.
pub const API_RENEWAL_WAIT_SECONDS: u64 = 10;

/// The session this tab holds for `config`'s issuer and client.
fn stored(config: &Config) -> Result<Session, ApiError> {
    storage::load_session()
        .found()
        .filter(|session| session.issuer == config.issuer && session.client_id == config.client_id)
        .ok_or(ApiError::NotSignedIn)
}

async fn send(request: &ApiRequest, session: &Session) -> Result<Response, ApiError> {
    let token = &session.access_token;
    // The fetch wrapper throws on a header the browser refuses; each one is tried on a scratch set first.
    if !is_b64token(token.secret()) {
        return Err(ApiError::UnusableToken);
    }
    let probe = web_sys::Headers::new().map_err(|_| ApiError::Network("no Headers".to_owned()))?;
    for (name, value) in &request.headers {
        if probe.append(name, value).is_err() {
            return Err(ApiError::BadHeader { name: name.clone() });
        }
    }
    let key = (dpop::key_of(session.dpop_key_id.as_deref()).await).map_err(ApiError::Dpop)?;
    let mut retried = false;
    loop {
        let mut builder = http::builder(
            request.url.as_str(),
            request.method.clone(),
            RequestCache::NoStore,
        );
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case("authorization") && !name.eq_ignore_ascii_case("dpop") {
                builder = builder.header(name, value);
            }
        }
        let scheme = dpop::token_type(key.as_deref()).as_str();
        builder = builder.header("Authorization", &format!("{scheme} {}", token.secret()));
        if let Some(key) = &key {
            let method = request.method.as_str();
            let proof = dpop::api_proof(key, method, &request.url, token)
                .await
                .map_err(ApiError::Dpop)?;
            builder = builder.header(DPOP_HEADER, &proof);
        }
        let network = |error: gloo_net::Error| ApiError::Network(error.to_string());
        let response = match &request.body {
            Some(body) => builder.body(body.as_str()).map_err(network)?.send().await,
            None => builder.send().await,
        }
        .map_err(network)?;
        if key.is_none() {
            return Ok(response);
        }
        // RFC 9449 9 (and 8.2): the API's latest nonce goes in the next proof, whatever this answer is; a nonce
        // challenge gets one retry with it, and a fresh proof.
        let headers = response.headers();
        let (nonce, challenge) = (headers.get(NONCE_HEADER), headers.get("www-authenticate"));
        let answer = dpop::Answer {
            status: response.status(),
            nonce: nonce.as_deref(),
            www_authenticate: challenge.as_deref(),
            body: &[],
        };
        if !dpop::asks_retry(Server::Resource, &request.url, &answer) || retried {
            return Ok(response);
        }
        retried = true;
    }
}
