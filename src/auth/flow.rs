//! The sign-in and sign-out sequences: each step a call into `oidc` (decisions) or `browser` (effects).

use std::rc::Rc;

use url::Url;

use super::{AuthAction, AuthError, SignedOutReason};
use crate::browser::storage::{self, Stored};
use crate::browser::{clock, http, location};
use crate::oidc::authorize::{authorization_request, safe_return_path};
use crate::oidc::callback::{CALLBACK_PARAMS, parse_callback, verify_callback};
use crate::oidc::config::Config;
use crate::oidc::discovery::{ProviderMetadata, discovery_url, parse_metadata};
use crate::oidc::id_token::{Expectations, decode, validate_claims};
use crate::oidc::logout::{LogoutError, end_session_url, verify_logout_return};
use crate::oidc::secret::State;
use crate::oidc::session::Session;
use crate::oidc::token::exchange_code;
use crate::oidc::userinfo::fetch_userinfo;

/// Fetches and validates `config.json` from the app's base URL.
pub async fn load_config() -> Result<Config, AuthError> {
    let base = location::base().ok_or(AuthError::Navigation("the app's base URL"))?;
    let url = base
        .join("config.json")
        .map_err(|_| AuthError::Navigation("config.json"))?;
    let request = http::get_json(&url).map_err(AuthError::ConfigUnreachable)?;
    let response = http::fetch(request)
        .await
        .map_err(AuthError::ConfigUnreachable)?;
    if !response.status().is_success() {
        return Err(AuthError::ConfigStatus(response.status().as_u16()));
    }
    let text = String::from_utf8_lossy(response.body());
    Ok(Config::from_json(&text, &base)?)
}

/// The provider's metadata: from this tab's cache, else discovery (OIDC Discovery 1.0, 4).
async fn metadata(config: &Config) -> Result<ProviderMetadata, AuthError> {
    if let Some(cached) = storage::load_metadata(&config.issuer) {
        return Ok(cached);
    }
    let request =
        http::get_json(&discovery_url(&config.issuer)?).map_err(AuthError::DiscoveryUnreachable)?;
    let response = http::fetch(request)
        .await
        .map_err(AuthError::DiscoveryUnreachable)?;
    if !response.status().is_success() {
        return Err(AuthError::DiscoveryStatus(response.status().as_u16()));
    }
    let metadata = parse_metadata(response.body(), &config.issuer)?;
    storage::save_metadata(&metadata)?;
    Ok(metadata)
}

/// Starts a sign-in: stores a single-use pending record and leaves for the provider.
pub async fn sign_in(config: &Config, return_to: &str) -> Result<(), AuthError> {
    let metadata = metadata(config).await?;
    let request = authorization_request(
        config,
        &metadata,
        &safe_return_path(return_to),
        clock::now(),
        &mut clock::random,
    );
    storage::save_pending(&request.pending)?;
    if location::navigate(&request.url) {
        Ok(())
    } else {
        Err(AuthError::Navigation("the provider's sign-in page"))
    }
}

/// Whether `url` is this app's redirect URI (origin and path; the query is the response).
pub fn is_callback(config: &Config, url: &Url) -> bool {
    url.origin() == config.redirect_uri.origin() && url.path() == config.redirect_uri.path()
}

/// Completes a sign-in from the callback URL. Returns the new session and the same-origin path to
/// return to. Whatever fails, an existing session is left untouched: only success overwrites it.
pub async fn complete_sign_in(config: &Config, url: &Url) -> Result<(Session, String), AuthError> {
    // RFC 9700 4.2.4: `code` and `state` leave the address bar before any network call.
    location::strip_params(CALLBACK_PARAMS);
    let response = parse_callback(url)?;
    // Single use (RFC 9700 4.2.4): the record is gone once read, whatever happens next.
    let pending = response
        .state()
        .and_then(|state| storage::take_pending(state).found());
    let metadata = metadata(config).await?;
    let now = clock::now();
    let code = verify_callback(response, pending.as_ref(), config, &metadata, now)?;
    // `verify_callback` only returns a code when a pending record matched.
    let pending = pending.ok_or(crate::oidc::callback::CallbackError::UnknownState)?;

    let tokens = exchange_code(&http::fetch, config, &metadata, code, &pending.verifier).await?;
    let jws = decode(&tokens.id_token)?;
    // Signature seam: WebCrypto verification of `jws.signing_input()` against the provider's JWKS
    // belongs here (OIDC Core 3.1.3.7 step 6); it arrives with the hostile-providers work.
    let claims = validate_claims(
        &jws,
        &Expectations {
            issuer: &config.issuer,
            client_id: &config.client_id,
            nonce: &pending.nonce,
            now,
            leeway: config.leeway_seconds,
        },
    )?;
    let userinfo = match (
        &metadata.userinfo_endpoint,
        Session::needs_userinfo(&claims),
    ) {
        (Some(endpoint), true) => {
            Some(fetch_userinfo(&http::fetch, endpoint, &tokens.access_token, &claims.sub).await?)
        }
        _ => None,
    };
    let session = Session::new(tokens, claims, userinfo.as_ref(), config, now);
    storage::save_session(&session)?;
    Ok((session, safe_return_path(&pending.return_to)))
}

/// Restores the session without any network request. Expired or unreadable sessions, and sessions
/// of another issuer or client, are removed.
pub fn restore(config: &Config) -> AuthAction {
    match storage::load_session() {
        Stored::Missing => AuthAction::SignedOut(SignedOutReason::NoSession),
        Stored::Garbage => {
            storage::clear_all();
            AuthAction::SignedOut(SignedOutReason::StorageDiscarded)
        }
        Stored::Found(session)
            if session.issuer != config.issuer || session.client_id != config.client_id =>
        {
            storage::clear_all();
            AuthAction::SignedOut(SignedOutReason::NoSession)
        }
        Stored::Found(session) if session.is_expired(clock::now()) => {
            storage::clear_all();
            AuthAction::SignedOut(SignedOutReason::Expired)
        }
        Stored::Found(session) => AuthAction::SignedIn(Rc::new(session)),
    }
}

/// Local sign-out: every key the app wrote is removed; the provider is not contacted.
pub fn sign_out_local() {
    storage::clear_all();
}

/// Provider sign-out (RP-Initiated Logout 1.0, section 2). Clears the local session first, then leaves
/// for the end-session endpoint. Without one, the sign-out is local only and the reason says so.
pub async fn sign_out_at_provider(config: &Config) -> Result<SignedOutReason, AuthError> {
    let Some(session) = storage::load_session().found() else {
        storage::clear_all();
        return Ok(SignedOutReason::Local);
    };
    let metadata = metadata(config).await;
    storage::clear_all();
    let state = State::generate(&mut clock::random);
    let url = match end_session_url(config, &metadata?, &session.id_token, &state) {
        Ok(url) => url,
        Err(LogoutError::NotSupported) => return Ok(SignedOutReason::ProviderUnsupported),
        Err(error) => return Err(error.into()),
    };
    storage::save_logout_state(&state)?;
    if location::navigate(&url) {
        Ok(SignedOutReason::Provider)
    } else {
        Err(AuthError::Navigation("the provider's sign-out page"))
    }
}

/// On the return from the provider's end-session endpoint, checks the `state` it echoes
/// (RP-Initiated Logout 1.0, section 3). `None` when no provider sign-out was under way.
pub fn finish_provider_sign_out(config: &Config, url: &Url) -> Option<Result<(), AuthError>> {
    let expected = storage::take_logout_state().found()?;
    let target = &config.post_logout_redirect_uri;
    if url.origin() != target.origin() || url.path() != target.path() {
        // The user came back some other way; the local session was already cleared.
        return None;
    }
    location::strip_params(&["state"]);
    Some(verify_logout_return(url, &expected).map_err(AuthError::from))
}
