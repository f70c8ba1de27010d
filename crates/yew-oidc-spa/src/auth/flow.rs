//! The sign-in sequences: each step a call into `oidc` (decisions) or `browser` (effects).

use std::rc::Rc;

use futures::future::join;

use url::Url;
use web_sys::RequestCache;

use super::documents::{keys, metadata, metadata_from, verify_signature_with};
use super::sign_out::revoke_tokens;
use super::{AuthAction, AuthError, SignedOutReason, dpop};
use crate::browser::dpop_key::DpopKey;
use crate::browser::storage::{self, Stored};
use crate::browser::{clock, location};
use crate::oidc::authorize::bind_dpop;
use crate::oidc::authorize::{
    AuthorizationRequest, PendingSignIn, authorization_request_with, safe_return_path,
};
use crate::oidc::callback::{
    CALLBACK_PARAMS, MAX_PENDING_AGE_SECONDS, parse_callback, verify_callback,
};
use crate::oidc::config::{AuthorizationParams, Config, ConfigError, Dpop};
use crate::oidc::discovery::ProviderMetadata;
use crate::oidc::id_token::{Expectations, decode, validate_claims};
use crate::oidc::jwks::JwkSet;
use crate::oidc::par::{push, push_endpoint, redirect_url};
use crate::oidc::renewal::renewal_deadline;
use crate::oidc::secret::{AuthorizationCode, State};
use crate::oidc::session::Session;
use crate::oidc::token::{TokenResponse, exchange_code};
use crate::oidc::userinfo::{UserInfoError, fetch_userinfo};

/// Deletes the DPoP key a pending sign-in names, if any: for a sign-in that will never be completed.
async fn discard_key(pending: &PendingSignIn) {
    if let Some(id) = &pending.dpop_key_id {
        dpop::discard(id).await;
    }
}

/// Starts a sign-in: stores a single-use pending record and leaves for the provider.
pub async fn sign_in(
    config: &Config,
    params: &AuthorizationParams,
    return_to: &str,
) -> Result<(), AuthError> {
    let (destination, _) = prepare(config, params, return_to).await?;
    if location::navigate(&destination) {
        Ok(())
    } else {
        Err(AuthError::Navigation("the provider's sign-in page"))
    }
}

/// Everything a sign-in does before the browser leaves for the provider (in this tab or in a sign-in window): the
/// checks of the configuration against the provider, the copies the callback needs, the request (pushed where it
/// is), the single-use pending record stored. Returns where to send the browser, and the request's `state`.
pub async fn prepare(
    config: &Config,
    params: &AuthorizationParams,
    return_to: &str,
) -> Result<(Url, State), AuthError> {
    // A provider sign-out this tab never came back from is over: its return must not end the new session.
    let _ = storage::take_logout_state();
    let metadata = metadata(config).await?;
    // What the configuration asks of the provider, checked before anything is stored or sent. RFC 9449: DPoP
    // required but not offered. RFC 9126: where the request is pushed first, if anywhere, and whether that fits.
    if config.dpop == Dpop::Required && !metadata.binds_dpop() {
        return Err(ConfigError::DpopUnsupported.into());
    }
    let push_to = push_endpoint(config, &metadata)?;
    // The metadata and keys are needed on the way back; saved now, the callback (the wait the user feels most)
    // needs only the token request. The keys are best effort: the callback fetches them if this fails. They are
    // fetched while the rest of the sign-in goes on (the DPoP key, the push), not before it: with a push, the two
    // requests share one round trip to the provider.
    storage::save_metadata(&metadata)?;
    let (prepared, fetched) = join(
        request_for(config, params, return_to, &metadata, push_to),
        keys(&metadata, false),
    )
    .await;
    let (request, destination) = prepared?;
    if let Ok(keys) = fetched
        && let Err(error) = storage::save_jwks(&metadata.jwks_uri, &keys)
    {
        discard_key(&request.pending).await;
        return Err(error.into());
    }
    let cutoff = (request.pending.created_at).saturating_sub(MAX_PENDING_AGE_SECONDS);
    for abandoned in storage::prune_pending(cutoff) {
        discard_key(&abandoned).await;
    }
    if let Err(error) = storage::save_pending(&request.pending) {
        // Nothing would lead back to the key.
        discard_key(&request.pending).await;
        return Err(error.into());
    }
    Ok((destination, request.pending.state))
}

/// The authorization request of a sign-in and where the browser goes with it: the request's URL, or, pushed
/// first (RFC 9126), the authorization endpoint with the pushed request's reference. Stores nothing.
async fn request_for(
    config: &Config,
    params: &AuthorizationParams,
    return_to: &str,
    metadata: &ProviderMetadata,
    push_to: Option<&Url>,
) -> Result<(AuthorizationRequest, Url), AuthError> {
    let mut request = authorization_request_with(
        config,
        params,
        metadata,
        &safe_return_path(return_to),
        clock::now(),
        &mut clock::random,
    );
    // RFC 9449: a new key for every sign-in, the code bound to it. A provider that does not list ES256 gets Bearer
    // tokens (under "if-supported"), and the UI says DPoP is off.
    let mut key = None;
    if config.dpop != Dpop::Off && metadata.binds_dpop() {
        let (id, made) = dpop::create().await?;
        bind_dpop(&mut request, &id, made.public());
        key = Some(made);
    }
    // Pushed, the parameters go over the back channel (with a proof of the key `dpop_jkt` names, RFC 9449 10.1) and
    // the browser carries only the reference. A refused push ends here: nothing stored, the key deleted.
    let destination = match push_to {
        Some(endpoint) => match push(&dpop::client(key, None), endpoint, &request).await {
            Ok(pushed) => {
                redirect_url(&metadata.authorization_endpoint, &config.client_id, &pushed)
            }
            Err(error) => {
                discard_key(&request.pending).await;
                return Err(error.into());
            }
        },
        None => request.url.clone(),
    };
    Ok((request, destination))
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

/// Whether the authorization response with `state` is another instance's on this page (a named provider's,
/// config.json's `providers`): this tab holds a pending sign-in for it, in another namespace than the current one.
pub fn belongs_elsewhere(state: &State) -> bool {
    !storage::holds_pending(state) && storage::pending_anywhere(state)
}

/// Completes a sign-in from the callback URL. Returns the new session and the same-origin path to
/// return to. Whatever fails, an existing session is left untouched: only success overwrites it.
pub async fn complete_sign_in(config: &Config, url: &Url) -> Result<(Session, String), AuthError> {
    // RFC 9700 4.2.4: `code` and `state` leave the address bar before any network call.
    location::strip_params(CALLBACK_PARAMS);
    complete(config, url).await
}

/// [`complete_sign_in`] for a response that is not in this tab's address bar (one a sign-in window handed back):
/// the same checks, the same single-use record.
pub async fn complete(config: &Config, url: &Url) -> Result<(Session, String), AuthError> {
    let response = parse_callback(url)?;
    // Single use (RFC 9700 4.2.4): the record is gone once read, whatever happens next.
    let pending = response
        .state()
        .and_then(|state| storage::take_pending(state).found());
    let key_id = pending
        .as_ref()
        .and_then(|pending| pending.dpop_key_id.clone());
    let completed = async {
        // Both copies saved at sign-in are single use, whatever happens next.
        let saved = match &pending {
            Some(_) => storage::take_metadata(&config.issuer),
            None => None,
        };
        let saved_keys = saved.as_ref().and_then(|saved| {
            storage::take_jwks(&saved.jwks_uri).map(|keys| (saved.jwks_uri.clone(), keys))
        });
        // The code and the verifier go only to a token endpoint from config.json or from the provider's document
        // fetched in this page load (RFC 9700 4.4, RFC 7636 1): a script that can write this origin's storage
        // before the redirect back could otherwise name its own server and get a full grant. The browser's HTTP
        // cache may serve the document (force-cache: the copy fetched at sign-in, where the provider let it be
        // cached, and no round trip); storage may not.
        let metadata = metadata_from(config, RequestCache::ForceCache).await?;
        // The saved copy only tells tampering apart from a provider change: nothing is sent when they differ.
        if saved.is_some_and(|saved| saved != metadata) {
            return Err(AuthError::MetadataChanged);
        }
        let now = clock::now();
        let code = verify_callback(response, pending.as_ref(), config, &metadata, now)?;
        // `verify_callback` only returns a code when a pending record matched.
        let pending = pending.ok_or(crate::oidc::callback::CallbackError::UnknownState)?;
        let keys = saved_keys
            .filter(|(uri, _)| *uri == metadata.jwks_uri)
            .map(|(_, keys)| keys);
        let session = redeem(config, metadata, code, &pending, keys, now).await?;
        Ok((session, safe_return_path(&pending.return_to)))
    }
    .await;
    // The sign-in's DPoP key was made for it only: whatever failed after its record was taken (a refused or
    // cancelled sign-in, a failed exchange), nothing else will ever use the key.
    if let (Err(_), Some(id)) = (&completed, &key_id) {
        dpop::discard(id).await;
    }
    completed
}

/// The callback's second half: the code redeemed at `metadata`'s token endpoint (published, fetched in this page
/// load) with a DPoP proof when the sign-in bound it to a key, the ID token validated (with the keys saved at
/// sign-in first, when they are for the published `jwks_uri`), the session stored.
async fn redeem(
    config: &Config,
    metadata: ProviderMetadata,
    code: AuthorizationCode,
    pending: &PendingSignIn,
    saved_keys: Option<JwkSet>,
    now: u64,
) -> Result<Session, AuthError> {
    let key = dpop::key_for_tokens(pending.dpop_key_id.as_deref()).await?;
    let token_type = dpop::token_type(key.as_deref());
    let client = dpop::client(key.clone(), None);
    let tokens = exchange_code(
        &client,
        config,
        &metadata,
        code,
        &pending.verifier,
        token_type,
    )
    .await?;
    // Tokens received and then refused (an ID token that fails its checks, a UserInfo about someone else, storage
    // that cannot keep them) are revoked, not only dropped: unrevoked, the refresh token would stay live at the
    // provider with nobody holding it (RFC 9700 2.2.2).
    let (refresh, access) = (tokens.refresh_token.clone(), tokens.access_token.clone());
    let kept = keep(
        config,
        &metadata,
        tokens,
        pending,
        saved_keys,
        key.clone(),
        now,
    )
    .await;
    if kept.is_err() {
        revoke_tokens(config, &metadata, refresh.as_ref(), &access, key).await;
    }
    kept
}

/// The callback's checks of what the token endpoint answered, and the session stored from it.
async fn keep(
    config: &Config,
    metadata: &ProviderMetadata,
    tokens: TokenResponse,
    pending: &PendingSignIn,
    saved_keys: Option<JwkSet>,
    key: Option<Rc<DpopKey>>,
    now: u64,
) -> Result<Session, AuthError> {
    let token_type = dpop::token_type(key.as_deref());
    let jws = decode(&tokens.id_token)?;
    verify_signature_with(metadata, &jws, saved_keys).await?;
    let claims = validate_claims(
        &jws,
        &Expectations {
            issuer: &config.issuer,
            client_id: &config.client_id,
            trusted_audiences: &config.trusted_audiences,
            nonce: &pending.nonce,
            now,
            leeway: config.leeway_seconds,
            max_age: pending.max_age,
            acr_values: pending.acr_values.as_deref(),
        },
    )?;
    // UserInfo only supplies a display name: if it cannot be had, the name falls back to other claims. A
    // UserInfo about another user, though, means a provider that cannot be trusted (OIDC Core 5.3.2).
    let userinfo = match (
        &metadata.userinfo_endpoint,
        Session::needs_userinfo(&claims),
    ) {
        (Some(endpoint), true) => {
            let client = dpop::client(key, Some(tokens.access_token.clone()));
            let token = &tokens.access_token;
            match fetch_userinfo(&client, endpoint, token, token_type, &claims.sub).await {
                Ok(userinfo) => Some(userinfo),
                Err(error @ UserInfoError::SubjectMismatch) => return Err(error.into()),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let session = Session {
        dpop_key_id: pending.dpop_key_id.clone(),
        ..Session::new(tokens, claims, userinfo.as_ref(), config, now)
    };
    storage::save_session(&session)?;
    Ok(session)
}

/// Restores the session without any network request. Expired or unreadable sessions, and sessions
/// of another issuer or client, are removed.
pub fn restore(config: &Config) -> AuthAction {
    // A sign-in window is there for one response, another instance's (a provider with a redirect URI of its own):
    // nothing is restored in it, or a renewal started in a window about to close could use up the refresh token the
    // tab that opened it goes on with.
    if storage::is_marked_sign_in_window() {
        return AuthAction::SignedOut(SignedOutReason::NoSession);
    }
    match storage::load_session() {
        Stored::Missing => AuthAction::SignedOut(SignedOutReason::NoSession),
        Stored::Garbage => {
            dpop::clear_storage();
            AuthAction::SignedOut(SignedOutReason::StorageDiscarded)
        }
        Stored::Found(session)
            if session.issuer != config.issuer || session.client_id != config.client_id =>
        {
            dpop::clear_storage();
            AuthAction::SignedOut(SignedOutReason::NoSession)
        }
        // With a refresh token an expired access token can still be renewed; `renew` decides.
        Stored::Found(session)
            if session.refresh_token.is_none() && session.is_expired(clock::now()) =>
        {
            dpop::clear_storage();
            AuthAction::SignedOut(SignedOutReason::Expired)
        }
        // An expired access token with a refresh token is a session waiting to renew, up to its absolute limit.
        Stored::Found(session) if clock::now() >= renewal_deadline(&session) => {
            dpop::clear_storage();
            AuthAction::SignedOut(SignedOutReason::RenewalLapsed)
        }
        Stored::Found(session) => AuthAction::SignedIn(Rc::new(session)),
    }
}
