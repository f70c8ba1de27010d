//! The provider's documents and the app's own configuration, as this page load knows them: config.json (or its
//! inlined copy), the discovery document and the signing keys, fetched once and kept in memory, never read back
//! from storage; and the ID token's signature check with those keys. Every sequence that sends a token uses the
//! metadata from here.

use std::cell::RefCell;

use url::Url;
use web_sys::{RequestCache, RequestCredentials};

use super::AuthError;
use super::error::Document;
use crate::browser::{http, location, webcrypto};
use crate::oidc::config::Config;
use crate::oidc::discovery::{ProviderMetadata, discovery_url, parse_metadata};
use crate::oidc::id_token::Jws;
use crate::oidc::jwks::{self, JwkSet, parse_jwks, select_key};

/// GETs a JSON document with the HTTP cache mode `cache`; anything but a 2xx answer is an error naming the
/// document. Through [`http::get_document`], a plain `fetch`, not the oauth2 request path: `config.json` is read on
/// every page load before the first view, and discovery and the keys on the sign-in click, and none of them needs
/// the `http` types that the token requests use.
pub(super) async fn fetch_document(
    url: &Url,
    document: Document,
    cache: RequestCache,
) -> Result<String, AuthError> {
    // Only the app's own file may go with its origin's credentials; see http::get_document.
    let credentials = match document {
        Document::Config => RequestCredentials::SameOrigin,
        Document::Discovery | Document::Jwks => RequestCredentials::Omit,
    };
    let (status, body) = http::get_document(url.as_str(), cache, credentials)
        .await
        .map_err(|source| AuthError::Unreachable { document, source })?;
    if !(200..300).contains(&status) {
        return Err(AuthError::Status { document, status });
    }
    Ok(body)
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
    Ok(Config::from_json(&body, &base)?)
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
pub(super) async fn metadata_from(
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
                .apply(parse_metadata(body.as_bytes(), &config.issuer)?)?
        }
    };
    METADATA.set(Some(metadata.clone()));
    Ok(metadata)
}

/// The provider's signing keys for `metadata`: from memory, else fetched from `jwks_uri` and kept.
pub(super) async fn keys(metadata: &ProviderMetadata, refetch: bool) -> Result<JwkSet, AuthError> {
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
    let keys = parse_jwks(body.as_bytes())?;
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
pub(super) async fn verify_signature_with(
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
