//! DPoP in the sequences (RFC 9449): the session's key (made at sign-in, found again by the id the session keeps,
//! deleted with the session), a proof on every request that obtains or uses a token, and one retry when a server
//! asks for a nonce. The rules are `crate::oidc::dpop`'s, the key is `crate::browser::dpop_key`'s.

use std::cell::RefCell;
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::http::{HeaderValue, Request};
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use url::Url;

use super::AuthError;
use crate::browser::dpop_key::DpopKey;
use crate::browser::http::{self, DPOP, DPOP_NONCE, HttpError};
use crate::browser::{clock, storage};
use crate::oidc::dpop::{self, Nonces, ProofClaims, ProofHeader, Server};
use crate::oidc::secret::AccessToken;
use crate::oidc::token::TokenType;

/// Octets behind a key id: it only has to be unique among this origin's keys.
const KEY_ID_OCTETS: usize = 16;

thread_local! {
    /// The key of this tab's session, with its id, once made or loaded: IndexedDB is asked once per page load.
    static KEY: RefCell<Option<(String, Rc<DpopKey>)>> = const { RefCell::new(None) };
    /// The latest nonce of each server (RFC 9449 8, 9), for this page load.
    static NONCES: RefCell<Nonces> = RefCell::new(Nonces::default());
}

/// A key for a new sign-in, kept in IndexedDB under a fresh id before the user leaves for the provider.
pub async fn create() -> Result<(String, Rc<DpopKey>), AuthError> {
    let key = DpopKey::generate().await?;
    let mut octets = [0u8; KEY_ID_OCTETS];
    clock::random(&mut octets);
    let id = URL_SAFE_NO_PAD.encode(octets);
    key.save(&id, clock::now()).await?;
    let key = Rc::new(key);
    KEY.set(Some((id.clone(), key.clone())));
    Ok((id, key))
}

/// The key kept under `id`: from memory, else from IndexedDB (a reload, or a tab duplicated from this one).
pub async fn key(id: &str) -> Result<Rc<DpopKey>, AuthError> {
    let known = KEY.with_borrow(|known| {
        known
            .as_ref()
            .filter(|(known, _)| known == id)
            .map(|(_, key)| key.clone())
    });
    if let Some(key) = known {
        return Ok(key);
    }
    let key = Rc::new(DpopKey::load(id).await?.ok_or(AuthError::DpopKeyMissing)?);
    KEY.set(Some((id.to_owned(), key.clone())));
    Ok(key)
}

/// The key kept under `id`, for a session or a pending sign-in that names one (`dpop_key_id`); `None` for Bearer.
pub async fn key_of(id: Option<&str>) -> Result<Option<Rc<DpopKey>>, AuthError> {
    match id {
        Some(id) => key(id).await.map(Some),
        None => Ok(None),
    }
}

/// [`key_of`] for a token request (a code exchange or a refresh): the key is marked used now, in the background,
/// and so kept for [`KEY_RETENTION_SECONDS`](crate::oidc::dpop::KEY_RETENTION_SECONDS) more by [`sweep_keys`].
pub async fn key_for_tokens(id: Option<&str>) -> Result<Option<Rc<DpopKey>>, AuthError> {
    let key = key_of(id).await?;
    if let (Some(id), Some(key)) = (id, &key) {
        let (id, key) = (id.to_owned(), key.clone());
        storage::spawn(async move {
            let _ = key.save(&id, clock::now()).await;
        });
    }
    Ok(key)
}

/// Deletes the DPoP keys of this origin that no session can need any more: sessionStorage outlives a closed tab
/// (browsers restore it with the tab), so a key is not deleted when its tab closes, only once it has gone unused
/// for longer than any session lives. Best effort, in the background at start-up.
pub async fn sweep_keys() {
    let _ = crate::browser::dpop_key::sweep(clock::now()).await;
}

/// The token type a request sent with proofs from `key` (or without, for `None`) must get back (RFC 9449 5).
pub fn token_type(key: Option<&DpopKey>) -> TokenType {
    match key {
        Some(_) => TokenType::Dpop,
        None => TokenType::Bearer,
    }
}

/// Deletes the key kept under `id`, and its copy in memory. Best effort: once the session that named it is gone,
/// nothing the app keeps leads to the key, and it is useless without the tokens.
pub async fn discard(id: &str) {
    KEY.with_borrow_mut(|known| {
        if known.as_ref().is_some_and(|(known, _)| known == id) {
            *known = None;
        }
    });
    let _ = DpopKey::delete(id).await;
}

/// Clears the app's storage at once (`storage::clear_all`), and deletes the DPoP key of the session it held, if
/// any, in the background. A session whose storage cannot be read leaves its key behind, useless.
pub fn clear_storage() {
    let id = storage::load_session()
        .found()
        .and_then(|session| session.dpop_key_id);
    storage::clear_all();
    if let Some(id) = id {
        storage::spawn(async move { discard(&id).await });
    }
}

/// The `DPoP` header value for a `method` request to `url`: a fresh `jti`, the server's latest nonce, and `ath`
/// when the request carries `token` (RFC 9449 4.2, 7).
async fn proof(
    key: &DpopKey,
    method: &str,
    url: &Url,
    server: Server,
    token: Option<&AccessToken>,
) -> Result<String, AuthError> {
    let input = signing_input(key, method, url, server, token)?;
    let signature = key.sign(input.as_bytes()).await?;
    Ok(dpop::proof(input, &signature)?.header_value().to_owned())
}

/// The JWS signing input of [`proof`]. Kept out of line: `proof` is awaited in two places, and a copy of this in
/// each would cost about 2 KB of wasm (the protocol crate's builders are outside this crate, so the compiler sees
/// only their calls when it decides).
#[inline(never)]
fn signing_input(
    key: &DpopKey,
    method: &str,
    url: &Url,
    server: Server,
    token: Option<&AccessToken>,
) -> Result<String, AuthError> {
    let mut claims = ProofClaims::new(method, url, clock::now(), &mut clock::random)?;
    if let Some(token) = token {
        claims = claims.with_ath(dpop::ath_of(token));
    }
    let claims = NONCES.with_borrow(|nonces| claims.with_nonce(nonces.for_request(server, url)));
    Ok(dpop::signing_input(
        &ProofHeader::es256(key.public().clone()),
        &claims,
    ))
}

/// `request` again, for a retry (an `http::Request` is not `Clone`).
fn copy(request: &HttpRequest) -> HttpRequest {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Sends `request` with a proof from `key` (as it is, without one), remembers the nonce the server hands out, and
/// sends it once more with a fresh proof when the server answered with a nonce challenge and a new nonce: the
/// token endpoint's `use_dpop_nonce` error (RFC 9449 8), or a resource's `DPoP error="use_dpop_nonce"` challenge
/// (RFC 9449 9). `token`: the access token the request carries (UserInfo), which makes it a resource request.
pub async fn send(
    key: Option<Rc<DpopKey>>,
    token: Option<AccessToken>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let Some(key) = key else {
        return http::fetch(request).await;
    };
    let failed = |error: AuthError| HttpError::Build(error.to_string());
    let url = Url::parse(&request.uri().to_string())
        .map_err(|_| HttpError::Build("the request URL".to_owned()))?;
    let server = match token {
        Some(_) => Server::Resource,
        None => Server::Authorization,
    };
    let mut retried = false;
    loop {
        let proof = proof(
            &key,
            request.method().as_str(),
            &url,
            server,
            token.as_ref(),
        )
        .await
        .map_err(failed)?;
        let mut attempt = copy(&request);
        let mut value = HeaderValue::from_str(&proof)
            .map_err(|_| HttpError::Build("the DPoP proof".to_owned()))?;
        // Replayable within its `iat` window where a server keeps no `jti` cache: kept out of logs as a token is.
        value.set_sensitive(true);
        attempt.headers_mut().insert(DPOP, value);
        let response = http::fetch(attempt).await?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        let answer = Answer {
            status: response.status().as_u16(),
            nonce: header(&DPOP_NONCE),
            www_authenticate: header(&oauth2::http::header::WWW_AUTHENTICATE),
            body: response.body(),
        };
        if !asks_retry(server, &url, &answer) || retried {
            return Ok(response);
        }
        retried = true;
    }
}

/// The HTTP client for the protocol's requests (token, refresh, revocation, UserInfo): [`send`] with `key`.
pub fn client(
    key: Option<Rc<DpopKey>>,
    token: Option<AccessToken>,
) -> impl for<'c> AsyncHttpClient<'c> {
    move |request| send(key.clone(), token.clone(), request)
}

/// The `DPoP` header for an API request with `token` (RFC 9449 7), and the nonce bookkeeping of its answer, for
/// the API helper, which sends with gloo-net directly.
pub async fn api_proof(
    key: &DpopKey,
    method: &str,
    url: &Url,
    token: &AccessToken,
) -> Result<String, AuthError> {
    proof(key, method, url, Server::Resource, Some(token)).await
}

/// What a server answered a request that carried a proof: what [`asks_retry`] looks at.
pub struct Answer<'a> {
    pub status: u16,
    /// The `DPoP-Nonce` header.
    pub nonce: Option<&'a str>,
    /// The `WWW-Authenticate` header.
    pub www_authenticate: Option<&'a str>,
    /// The body, when it has been read (token endpoint answers); empty otherwise.
    pub body: &'a [u8],
}

/// Remembers the nonce `answer` carries for `server` at `url`'s origin, whatever the answer (RFC 9449 8.2, 9: the
/// latest nonce goes in the next proof), and says whether the answer is a nonce challenge with a new nonce: the
/// token endpoint's `use_dpop_nonce` error (8) or a resource's `DPoP error="use_dpop_nonce"` (9), worth one retry
/// with a fresh proof. The one rule for the protocol's requests ([`send`]) and the API helper's.
pub fn asks_retry(server: Server, url: &Url, answer: &Answer) -> bool {
    let fresh = NONCES.with_borrow_mut(|nonces| nonces.remember(server, url, answer.nonce));
    fresh
        && (dpop::is_token_nonce_challenge(answer.status, answer.body)
            || dpop::is_resource_nonce_challenge(answer.status, answer.www_authenticate))
}
