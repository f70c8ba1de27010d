//! Keeping a session alive: renew before expiry with the refresh token (RFC 6749 6), one tab at a time
//! (Web Locks), handing rotated tokens to the other tabs; end the session at expiry when it cannot renew.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;

use super::flow::{metadata, verify_signature};
use super::sign_out::revoke_tokens;
use super::tabs::{self, TabMessage};
use super::{AuthAction, AuthError, SignedOutReason, dpop};
use crate::browser::{clock, locks, storage};
use crate::oidc::config::Config;
use crate::oidc::id_token::{decode, validate_refreshed_claims};
use crate::oidc::renewal::{Plan, channel_key, fingerprint, plan, retry_delay, rotation};
use crate::oidc::secret::RefreshToken;
use crate::oidc::session::Session;
use crate::oidc::token::refresh_tokens;

/// Held by whichever tab is using a refresh token; the others wait.
const REFRESH_LOCK: &str = "yew-oidc:refresh";

/// Sleeps `seconds`, in chunks setTimeout accepts (at most 2^31 - 1 ms each).
async fn sleep(seconds: u64) {
    let mut millis = seconds.saturating_mul(1000);
    while millis > 0 {
        let chunk = millis.min(i32::MAX as u64);
        TimeoutFuture::new(chunk as u32).await;
        millis -= chunk;
    }
}

/// Renews `seen` (the session this tab shows) unless another tab already did. Returns the session to show.
///
/// A duplicated tab starts with a copy of sessionStorage, so two tabs can hold one rotating refresh token;
/// using it twice would end in `invalid_grant` (RFC 9700 4.14.2 reuse detection). Hence the lock, and inside
/// it a fresh look at storage, where a renewal broadcast by the previous holder has already landed.
pub async fn renew(config: &Config, seen: &Session) -> Result<Option<Session>, AuthError> {
    locks::exclusive(REFRESH_LOCK, async {
        // Let a message the previous lock holder posted before releasing arrive first.
        TimeoutFuture::new(0).await;
        let Some(current) = storage::load_session().found() else {
            return Ok(None);
        };
        if current.refresh_token != seen.refresh_token || current.access_token != seen.access_token
        {
            return Ok(Some(current));
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Ok(Some(current));
        };
        let used = fingerprint(&refresh_token);
        if storage::is_consumed(&used) {
            // Another tab rotated this token away before this one existed (a duplicated tab that loaded
            // late, a reopened tab). Presenting it again would be refused, and a provider with reuse
            // detection would revoke the other tab's tokens too (RFC 9700 4.14.2). Ask for the successor.
            return adopt_successor(used, &refresh_token).await;
        }
        let key = dpop::key_of(current.dpop_key_id.as_deref()).await;
        let metadata = metadata(config).await?;
        // Signed out while discovery (or the key) was awaited: the token is not this tab's to use any more, and
        // a key the sign-out deleted meanwhile is no failure.
        if !holds(&refresh_token) {
            return Ok(None);
        }
        let key = key?;
        let token_type = dpop::token_type(key.as_deref());
        let client = dpop::client(key.clone(), None);
        let response =
            match refresh_tokens(&client, config, &metadata, &refresh_token, token_type).await {
                Ok(response) => response,
                // Signed out while the request was out (its revocation may have won): the failure ends nothing.
                Err(_) if !holds(&refresh_token) => return Ok(None),
                Err(error) => return Err(error.into()),
            };
        // Only a different token is a rotation: a provider that echoes the token it was sent keeps it live. An
        // echoed token is then not the renewal's to revoke either: the sign-out revoked it, or it is still in use.
        let rotated = rotation(&refresh_token, &response);
        if rotated.is_some() {
            // Used up from now on, whatever the checks below decide.
            storage::mark_consumed(&used);
        }
        let now = clock::now();
        let checked = async {
            let Some(id_token) = &response.id_token else {
                return Ok(None);
            };
            let jws = decode(id_token)?;
            verify_signature(&metadata, &jws).await?;
            let (client_id, leeway) = (&config.client_id, config.leeway_seconds);
            let claims = validate_refreshed_claims(&jws, &current.claims, client_id, now, leeway)?;
            Ok::<_, AuthError>(Some(claims))
        };
        let claims = checked.await;
        // A sign-out may have happened while anything above was awaited (the request, a key refetch, the
        // signature check). Then the new tokens are not wanted, valid or not: they are revoked and never written
        // back into a signed-out tab. Nothing is awaited between this check and the write: the sign-out wins.
        let revoke_new = || revoke_tokens(config, &metadata, rotated, &response.access_token, key);
        if !holds(&refresh_token) {
            revoke_new().await;
            return Ok(None);
        }
        let claims = match claims {
            Ok(claims) => claims,
            // Tokens whose ID token fails its checks are not kept; unrevoked, a rotated refresh token would stay
            // live at the provider with nobody holding it (RFC 9700 2.2.2).
            Err(error) => {
                revoke_new().await;
                return Err(error);
            }
        };
        let renewed = current.renewed(response, claims, now);
        storage::save_session(&renewed)?;
        tabs::post_successor(used, &channel_key(&refresh_token), &renewed).await;
        Ok(Some(renewed))
    })
    .await
}

/// Whether this tab's stored session still holds `refresh_token`: checked after every await, with nothing awaited
/// between the check and what depends on it.
fn holds(refresh_token: &RefreshToken) -> bool {
    storage::load_session()
        .found()
        .is_some_and(|stored| stored.refresh_token.as_ref() == Some(refresh_token))
}

/// What a finished renewal means for the auth state: the renewed session, nothing (the session is gone), or
/// the end of the session when the provider refused the refresh token. Any other error is the caller's to judge.
pub fn settle(
    outcome: Result<Option<Session>, AuthError>,
) -> Result<Option<AuthAction>, AuthError> {
    match outcome {
        Ok(renewed) => Ok(renewed.map(|session| AuthAction::Renewed(Rc::new(session)))),
        Err(error) if error.is_invalid_grant() => {
            dpop::clear_storage();
            Ok(Some(AuthAction::SignedOut(SignedOutReason::RenewalRefused)))
        }
        Err(error) => Err(error),
    }
}

/// How long a tab holding a used-up refresh token waits for another tab to hand over the successor.
const SUCCESSOR_WAIT_MILLIS: u32 = 2_000;

/// Asks the other tabs for the session that replaced the used-up `refresh_token` and waits for it to land in
/// storage (`tabs::receive` puts it there). Without an answer, the session cannot go on.
async fn adopt_successor(
    used: String,
    refresh_token: &RefreshToken,
) -> Result<Option<Session>, AuthError> {
    tabs::post(&TabMessage::Wanted { consumed: used });
    for _ in 0..SUCCESSOR_WAIT_MILLIS / 100 {
        TimeoutFuture::new(100).await;
        match storage::load_session().found() {
            None => return Ok(None),
            Some(session) if session.refresh_token.as_ref() != Some(refresh_token) => {
                return Ok(Some(session));
            }
            Some(_) => {}
        }
    }
    Err(AuthError::RefreshTokenSuperseded)
}

/// Watches one session until it is replaced or ends: renews it `renew_margin_seconds` before expiry,
/// retries network failures with backoff until expiry, and ends it when it cannot go on. `cancelled` is set
/// when the session is no longer the one shown; nothing happens after that.
pub async fn keep_alive(
    config: Rc<Config>,
    session: Rc<Session>,
    cancelled: Rc<Cell<bool>>,
    dispatch: impl Fn(AuthAction),
) {
    let mut attempt = 0;
    loop {
        let now = clock::now();
        match plan(&session, now, config.renew_margin_seconds) {
            Plan::WaitUntil(at) => sleep(at - now).await,
            Plan::EndAt(at) => {
                sleep(at.saturating_sub(now)).await;
                if !cancelled.get() {
                    dpop::clear_storage();
                    dispatch(AuthAction::Expired);
                }
                return;
            }
            Plan::Renew => {
                let outcome = renew(&config, &session).await;
                if cancelled.get() {
                    return;
                }
                match settle(outcome) {
                    Ok(action) => return action.into_iter().for_each(dispatch),
                    Err(error) if error.is_transient() && !session.is_expired(clock::now()) => {
                        sleep(retry_delay(attempt)).await;
                        attempt += 1;
                    }
                    Err(error) if error.is_transient() => {
                        dpop::clear_storage();
                        return dispatch(AuthAction::Expired);
                    }
                    Err(error) => {
                        dpop::clear_storage();
                        return dispatch(AuthAction::Failed(error));
                    }
                }
            }
        }
        if cancelled.get() {
            return;
        }
    }
}
