//! The sign-in sequences: each step a call into `oidc` (decisions) or `browser` (effects).

use std::cell::RefCell;
use std::rc::Rc;

use url::Url;
use web_sys::{RequestCache, RequestCredentials};

use super::error::Document;
use super::sign_out::revoke_tokens;
use super::{AuthAction, AuthError, SignedOutReason, dpop};
use crate::browser::dpop_key::DpopKey;
use crate::browser::http;
use crate::browser::storage::{self, Stored};
use crate::browser::{clock, location, webcrypto};
use crate::oidc::authorize::{PendingSignIn, authorization_request_with, safe_return_path};
use crate::oidc::callback::{
    CALLBACK_PARAMS, MAX_PENDING_AGE_SECONDS, parse_callback, verify_callback,
};
use crate::oidc::config::{AuthorizationParams, Config, ConfigError, Dpop};
use crate::oidc::discovery::{ProviderMetadata, discovery_url, parse_metadata};
use crate::oidc::dpop::bind_authorization;
use crate::oidc::id_token::{Expectations, Jws, decode, validate_claims};
use crate::oidc::jwks::{self, JwkSet, parse_jwks, select_key};
use crate::oidc::renewal::renewal_deadline;
use crate::oidc::secret::AuthorizationCode;
use crate::oidc::session::Session;
use crate::oidc::token::{TokenResponse, exchange_code};
use crate::oidc::userinfo::{UserInfoError, fetch_userinfo};

/// GETs a JSON document with the HTTP cache mode `cache`; anything but a 2xx answer is an error naming the
/// document.
async fn fetch_document(
    url: &Url,
    document: Document,
    cache: RequestCache,
) -> Result<Vec<u8>, AuthError> {
    let unreachable = |source| AuthError::Unreachable { document, source };
    // Only the app's own file may go with its origin's credentials; see http::send.
    let credentials = match document {
        Document::Config => RequestCredentials::SameOrigin,
        Document::Discovery | Document::Jwks => RequestCredentials::Omit,
    };
    let response = http::send(
        http::get_json(url).map_err(unreachable)?,
        cache,
        credentials,
    )
    .await
    .map_err(unreachable)?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        return Err(AuthError::Status { document, status });
    }
    Ok(response.into_body())
}

/// Reads and validates the configuration: inlined in the page by `scripts/inline-config.mjs` (no request at all),
/// else `config.json` fetched from the app's base URL. index.html preloads it (`<link rel="preload" as="fetch"
/// crossorigin="anonymous">`), so the download starts with the page's, not after the wasm has started and
/// rendered; this request then gets the preloaded response. `no-store` keeps a deployment's edit from ever waiting
/// on this request's cache entry (Chromium hands a preload to a `no-store` fetch of the same URL and credentials).
pub async fn load_config() -> Result<Config, AuthError> {
    let base = location::base().ok_or(AuthError::Navigation("the app's base URL"))?;
    if let Some(inlined) = location::inlined_config() {
        return Ok(Config::from_json(&inlined, &base)?);
    }
    let url = base
        .join("config.json")
        .map_err(|_| AuthError::Navigation("config.json"))?;
    let body = fetch_document(&url, Document::Config, RequestCache::NoStore).await?;
    Ok(Config::from_json(&String::from_utf8_lossy(&body), &base)?)
}

thread_local! {
    /// Provider metadata fetched during this page load. Renewals, revocations and UserInfo send tokens only to
    /// endpoints from here (or the configuration), never from storage: a one-time script injection can rewrite
    /// sessionStorage, and a copy read back from it would send every later refresh token wherever it says.
    static METADATA: RefCell<Option<ProviderMetadata>> = const { RefCell::new(None) };
    /// The provider's signing keys, for the `jwks_uri` they came from, kept for this page load.
    static KEYS: RefCell<Option<(Url, JwkSet)>> = const { RefCell::new(None) };
}

/// The provider's metadata as fetched during this page load (OIDC Discovery 1.0, 4): from memory, else from the
/// discovery endpoint through the browser's HTTP cache (a provider that allows caching costs nothing).
pub(super) async fn metadata(config: &Config) -> Result<ProviderMetadata, AuthError> {
    metadata_from(config, RequestCache::Default).await
}

/// [`metadata`], with the discovery document fetched in HTTP cache mode `cache` when it is not in memory yet.
async fn metadata_from(
    config: &Config,
    cache: RequestCache,
) -> Result<ProviderMetadata, AuthError> {
    let known = METADATA.with_borrow(|known| {
        known
            .as_ref()
            .filter(|metadata| metadata.issuer == config.issuer)
            .cloned()
    });
    if let Some(metadata) = known {
        return Ok(metadata);
    }
    // Endpoints pinned in config.json: no discovery at all when they suffice, else they override it.
    let metadata = match config.endpoints.metadata(&config.issuer) {
        Some(pinned) => pinned?,
        None => {
            let url = discovery_url(&config.issuer)?;
            let body = fetch_document(&url, Document::Discovery, cache).await?;
            config
                .endpoints
                .apply(parse_metadata(&body, &config.issuer)?)?
        }
    };
    METADATA.set(Some(metadata.clone()));
    Ok(metadata)
}

/// The provider's signing keys for `metadata`: from memory, else fetched from `jwks_uri` and kept.
async fn keys(metadata: &ProviderMetadata, refetch: bool) -> Result<JwkSet, AuthError> {
    let known = KEYS.with_borrow(|known| match known {
        Some((uri, keys)) if !refetch && *uri == metadata.jwks_uri => Some(keys.clone()),
        _ => None,
    });
    if let Some(keys) = known {
        return Ok(keys);
    }
    // A refetch looks for a key the cached set lacks: past the HTTP cache, which may still hold the old set.
    let cache = if refetch {
        RequestCache::NoCache
    } else {
        RequestCache::Default
    };
    let body = fetch_document(&metadata.jwks_uri, Document::Jwks, cache).await?;
    let keys = parse_jwks(&body)?;
    KEYS.set(Some((metadata.jwks_uri.clone(), keys.clone())));
    Ok(keys)
}

/// OIDC Core 3.1.3.7 step 6: the ID token's signature, checked with WebCrypto against the provider's key.
/// Step 6 would allow skipping it for a token straight from the token endpoint over TLS; we do not, so a
/// compromised or mixed-up token endpoint cannot mint identities.
pub(super) async fn verify_signature(
    metadata: &ProviderMetadata,
    jws: &Jws,
) -> Result<(), AuthError> {
    verify_signature_with(metadata, jws, None).await
}

/// [`verify_signature`], trying `preloaded` keys (the callback's copy saved at sign-in) before this page's own. The
/// preloaded keys serve this one check and never become the page's key set: renewals check with keys fetched here.
async fn verify_signature_with(
    metadata: &ProviderMetadata,
    jws: &Jws,
    preloaded: Option<JwkSet>,
) -> Result<(), AuthError> {
    let alg = jws.algorithm();
    metadata.check_signing_alg(alg)?;
    let first = match preloaded {
        Some(keys) => keys,
        None => keys(metadata, false).await?,
    };
    let key = match select_key(&first, jws.header(), alg) {
        Ok(key) => key.clone(),
        // OIDC Core 10.1.1: an unknown key may mean the provider rotated its keys; refetch once, and
        // only once, so a token naming a key that does not exist costs one request, not a loop.
        Err(error) if error.may_be_rotation() => {
            select_key(&keys(metadata, true).await?, jws.header(), alg)?.clone()
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
pub async fn sign_in(
    config: &Config,
    params: &AuthorizationParams,
    return_to: &str,
) -> Result<(), AuthError> {
    // A provider sign-out this tab never came back from is over: its return must not end the new session.
    let _ = storage::take_logout_state();
    let metadata = metadata(config).await?;
    // The metadata and keys are needed on the way back; saved now, the callback (the wait the user feels most)
    // needs only the token request. The keys are best effort: the callback fetches them if this fails.
    storage::save_metadata(&metadata)?;
    if let Ok(keys) = keys(&metadata, false).await {
        storage::save_jwks(&metadata.jwks_uri, &keys)?;
    }
    let mut request = authorization_request_with(
        config,
        params,
        &metadata,
        &safe_return_path(return_to),
        clock::now(),
        &mut clock::random,
    );
    // RFC 9449: a new key for every sign-in, the code bound to it. A provider that does not list ES256 gets Bearer
    // tokens, and the UI says DPoP is off.
    if config.dpop == Dpop::Required && !metadata.binds_dpop() {
        return Err(ConfigError::DpopUnsupported.into());
    }
    if config.dpop != Dpop::Off && metadata.binds_dpop() {
        let (id, key) = dpop::create().await?;
        bind_authorization(&mut request, &id, key.public());
    }
    let cutoff = (request.pending.created_at).saturating_sub(MAX_PENDING_AGE_SECONDS);
    for abandoned in storage::prune_pending(cutoff) {
        if let Some(id) = abandoned.dpop_key_id {
            dpop::discard(&id).await;
        }
    }
    if let Err(error) = storage::save_pending(&request.pending) {
        // Nothing would lead back to the key.
        if let Some(id) = &request.pending.dpop_key_id {
            dpop::discard(id).await;
        }
        return Err(error.into());
    }
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
