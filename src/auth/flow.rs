//! The sign-in sequences: each step a call into `oidc` (decisions) or `browser` (effects).

use std::rc::Rc;

use url::Url;

use super::error::Document;
use super::{AuthAction, AuthError, SignedOutReason};
use crate::browser::storage::{self, Stored};
use crate::browser::{clock, http, location, webcrypto};
use crate::oidc::authorize::{authorization_request, safe_return_path};
use crate::oidc::callback::{
    CALLBACK_PARAMS, MAX_PENDING_AGE_SECONDS, parse_callback, verify_callback,
};
use crate::oidc::config::Config;
use crate::oidc::discovery::{ProviderMetadata, discovery_url, parse_metadata};
use crate::oidc::id_token::{Expectations, Jws, decode, validate_claims};
use crate::oidc::jwks::{self, JwkSet, parse_jwks, select_key};
use crate::oidc::session::Session;
use crate::oidc::token::exchange_code;
use crate::oidc::userinfo::{UserInfoError, fetch_userinfo};

/// GETs a JSON document; anything but a 2xx answer is an error naming the document.
async fn fetch_document(url: &Url, document: Document) -> Result<Vec<u8>, AuthError> {
    let unreachable = |source| AuthError::Unreachable { document, source };
    let response = http::fetch(http::get_json(url).map_err(unreachable)?)
        .await
        .map_err(unreachable)?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        return Err(AuthError::Status { document, status });
    }
    Ok(response.into_body())
}

/// Fetches and validates `config.json` from the app's base URL.
pub async fn load_config() -> Result<Config, AuthError> {
    let base = location::base().ok_or(AuthError::Navigation("the app's base URL"))?;
    let url = base
        .join("config.json")
        .map_err(|_| AuthError::Navigation("config.json"))?;
    let body = fetch_document(&url, Document::Config).await?;
    Ok(Config::from_json(&String::from_utf8_lossy(&body), &base)?)
}

/// The provider's metadata: from this tab's cache, else discovery (OIDC Discovery 1.0, 4).
pub(super) async fn metadata(config: &Config) -> Result<ProviderMetadata, AuthError> {
    if let Some(cached) = storage::load_metadata(&config.issuer) {
        return Ok(cached);
    }
    let url = discovery_url(&config.issuer)?;
    let body = fetch_document(&url, Document::Discovery).await?;
    let metadata = parse_metadata(&body, &config.issuer)?;
    storage::save_metadata(&metadata)?;
    Ok(metadata)
}

/// The provider's signing keys, fetched from `jwks_uri` and cached for the session.
async fn fetch_jwks(metadata: &ProviderMetadata) -> Result<JwkSet, AuthError> {
    let keys = parse_jwks(&fetch_document(&metadata.jwks_uri, Document::Jwks).await?)?;
    storage::save_jwks(&metadata.jwks_uri, &keys)?;
    Ok(keys)
}

/// OIDC Core 3.1.3.7 step 6: the ID token's signature, checked with WebCrypto against the provider's key.
/// Step 6 would allow skipping it for a token straight from the token endpoint over TLS; we do not, so a
/// compromised or mixed-up token endpoint cannot mint identities.
pub(super) async fn verify_signature(
    metadata: &ProviderMetadata,
    jws: &Jws,
) -> Result<(), AuthError> {
    let alg = jws.algorithm();
    metadata.check_signing_alg(alg)?;
    let keys = match storage::load_jwks(&metadata.jwks_uri) {
        Some(keys) => keys,
        None => fetch_jwks(metadata).await?,
    };
    let key = match select_key(&keys, jws.header(), alg) {
        Ok(key) => key.clone(),
        // OIDC Core 10.1.1: an unknown key may mean the provider rotated its keys; refetch once, and
        // only once, so a token naming a key that does not exist costs one request, not a loop.
        Err(error) if error.may_be_rotation() => {
            select_key(&fetch_jwks(metadata).await?, jws.header(), alg)?.clone()
        }
        Err(error) => return Err(error.into()),
    };
    let params = jwks::webcrypto(alg);
    if webcrypto::verify(&key, &params, jws.signing_input(), jws.signature()).await? {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

/// Starts a sign-in: stores a single-use pending record and leaves for the provider.
pub async fn sign_in(config: &Config, return_to: &str) -> Result<(), AuthError> {
    let metadata = metadata(config).await?;
    // The keys are needed on the way back; fetched now, the callback (the wait the user feels most)
    // needs only the token request. Best effort: the callback fetches them if this fails.
    if storage::load_jwks(&metadata.jwks_uri).is_none() {
        let _ = fetch_jwks(&metadata).await;
    }
    let request = authorization_request(
        config,
        &metadata,
        &safe_return_path(return_to),
        clock::now(),
        &mut clock::random,
    );
    storage::prune_pending(
        request
            .pending
            .created_at
            .saturating_sub(MAX_PENDING_AGE_SECONDS),
    );
    storage::save_pending(&request.pending)?;
    if location::navigate(&request.url) {
        Ok(())
    } else {
        Err(AuthError::Navigation("the provider's sign-in page"))
    }
}

/// Whether `url` is an authorization response at this app's redirect URI: its origin and path, and a `code` or
/// an `error` in the query. A reload or bookmark of the bare path (or a redirect URI that is the app's root) is
/// an ordinary page load.
pub fn is_callback(config: &Config, url: &Url) -> bool {
    url.origin() == config.redirect_uri.origin()
        && url.path() == config.redirect_uri.path()
        && url
            .query_pairs()
            .any(|(name, _)| name == "code" || name == "error")
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
    verify_signature(&metadata, &jws).await?;
    let claims = validate_claims(
        &jws,
        &Expectations {
            issuer: &config.issuer,
            client_id: &config.client_id,
            trusted_audiences: &config.trusted_audiences,
            nonce: &pending.nonce,
            now,
            leeway: config.leeway_seconds,
        },
    )?;
    // UserInfo only supplies a display name: if it cannot be had, the name falls back to other claims. A
    // UserInfo about another user, though, means a provider that cannot be trusted (OIDC Core 5.3.2).
    let userinfo = match (
        &metadata.userinfo_endpoint,
        Session::needs_userinfo(&claims),
    ) {
        (Some(endpoint), true) => {
            match fetch_userinfo(&http::fetch, endpoint, &tokens.access_token, &claims.sub).await {
                Ok(userinfo) => Some(userinfo),
                Err(error @ UserInfoError::SubjectMismatch) => return Err(error.into()),
                Err(_) => None,
            }
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
        // With a refresh token an expired access token can still be renewed; `renew` decides.
        Stored::Found(session)
            if session.refresh_token.is_none() && session.is_expired(clock::now()) =>
        {
            storage::clear_all();
            AuthAction::SignedOut(SignedOutReason::Expired)
        }
        Stored::Found(session) => AuthAction::SignedIn(Rc::new(session)),
    }
}
