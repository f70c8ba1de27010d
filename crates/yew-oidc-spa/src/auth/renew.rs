//! Keeping a session alive: renew before expiry with the refresh token (RFC 6749 6), one tab at a time
//! (Web Locks), handing rotated tokens to the other tabs. A fault of the network or the provider is weather: the
//! session waits, retries with backoff and at once when the network or the page comes back, and ends only when the
//! provider refuses the grant, the absolute limit passes, or there is no refresh token at expiry.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;

use super::documents::{metadata, verify_signature};
use super::sign_out::revoke_tokens;
use super::tabs::{self, TabMessage};
use super::{AuthAction, AuthError, Reconnecting, SignedOutReason, dpop};
use crate::browser::storage::{self, PerInstance};
use crate::browser::wake::{self, Wake};
use crate::browser::{clock, locks};
use crate::oidc::config::Config;
use crate::oidc::fault::{Verdict, retry_delay};
use crate::oidc::id_token::{decode, validate_refreshed_claims};
use crate::oidc::renewal::{
    MIN_RENEW_INTERVAL_SECONDS, Plan, channel_key, fingerprint, plan, rotation,
};
use crate::oidc::secret::RefreshToken;
use crate::oidc::session::Session;
use crate::oidc::token::{TokenError, refresh_tokens};

/// Held by whichever tab is using a refresh token; the others wait.
/// The Web Lock one refresh at a time holds, across this app's tabs (in its namespace: another app of the origin
/// renews on its own).
fn refresh_lock() -> String {
    storage::scoped("refresh")
}

/// What this tab remembers of one instance's renewals.
#[derive(Default)]
struct Renewals {
    /// The Unix second after the last renewal attempt (whoever asked for it: the timer, an API call, a click).
    last_attempt: u64,
    /// Set by [`renew_now`] for the watcher of the session shown; cleared by a successful renewal.
    asked: bool,
    /// Why the watcher's last attempt failed, while that failure is the latest word (a failure that passes).
    failing: Option<Rc<AuthError>>,
}

thread_local! {
    /// Per instance: two providers of one page renew on their own.
    static RENEWALS: PerInstance<Renewals> = const { PerInstance::new() };
}

/// The current instance's [`Renewals`].
fn renewals<R>(f: impl FnOnce(&mut Renewals) -> R) -> R {
    RENEWALS.with(|all| all.with(f))
}

/// Asks the watcher of the session shown to renew now rather than at its time (a "Renew now" button, an API call
/// whose token will not last): at once, or at [`next_allowed`], or after the wait a failure set (a backoff, a
/// `Retry-After`), which asking does not cut short. Its outcome shows as any renewal's does: a new session,
/// [`Reconnecting`], or the end.
pub fn renew_now() {
    renewals(|r| r.asked = true);
    wake::notify();
}

/// Why the last renewal of the session shown failed, if its latest attempt did, for a failure that passes.
pub fn failing() -> Option<Rc<AuthError>> {
    renewals(|r| r.failing.clone())
}

/// The first Unix second this tab may try another renewal: [`MIN_RENEW_INTERVAL_SECONDS`] after the last attempt,
/// whatever a resource server answers or the provider's lifetimes say.
pub fn next_allowed() -> u64 {
    renewals(|r| r.last_attempt).saturating_add(MIN_RENEW_INTERVAL_SECONDS)
}

/// How long a waiting renewal sleeps at most before it reads the wall clock again. Timers stand still while a laptop
/// sleeps and the wall clock does not: one that slept past the renewal time renews within this of waking.
const CHECK_EVERY_MILLIS: u64 = 10_000;

/// Waits until the wall clock reaches `until` (Unix seconds), reading it at least every [`CHECK_EVERY_MILLIS`];
/// returns early when the world or the app wakes it, saying which.
pub async fn wait_until(until: u64) -> Wake {
    loop {
        let now = clock::now();
        if now >= until {
            return Wake::Timeout;
        }
        let millis = (until - now).saturating_mul(1000).min(CHECK_EVERY_MILLIS);
        match wake::sleep(millis as u32).await {
            Wake::Timeout => {}
            woken => return woken,
        }
    }
}

/// Renews `seen` (the session this tab shows) unless another tab already did. Returns the session to show.
///
/// A duplicated tab starts with a copy of sessionStorage, so two tabs can hold one rotating refresh token;
/// using it twice would end in `invalid_grant` (RFC 9700 4.14.2 reuse detection). Hence the lock, and inside
/// it a fresh look at storage, where a renewal broadcast by the previous holder has already landed.
pub async fn renew(config: &Config, seen: &Session) -> Result<Option<Session>, AuthError> {
    locks::exclusive(&refresh_lock(), async {
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
        // An attempt from here on, whether it reaches the provider or fails on the way (discovery out of reach, the
        // key): the floor counts from it. The clock counts whole seconds: a second more makes the floor at least,
        // never about, its length.
        renewals(|r| r.last_attempt = clock::now().saturating_add(1));
        let key = dpop::key_for_tokens(current.dpop_key_id.as_deref()).await;
        let metadata = metadata(config).await?;
        // Signed out while discovery (or the key) was awaited: the token is not this tab's to use any more, and
        // a key the sign-out deleted meanwhile is no failure.
        if !holds(&refresh_token) {
            return Ok(None);
        }
        let key = key?;
        let token_type = dpop::token_type(key.as_deref());
        let client = dpop::client(key.clone(), None);
        let mut response =
            match refresh_tokens(&client, config, &metadata, &refresh_token, token_type).await {
                Ok(response) => response,
                // Signed out while the request was out (its revocation may have won): the failure ends nothing.
                Err(_) if !holds(&refresh_token) => return Ok(None),
                // Tokens came back that are refused for their type (RFC 9449 5: Bearer for a bound refresh): the
                // provider may have rotated the refresh token it was sent, so it is used up from here on, and a late
                // duplicate tab asks for a successor rather than present it again (RFC 9700 4.14.2).
                Err(error @ TokenError::WrongTokenType { .. }) => {
                    storage::mark_consumed(&used);
                    return Err(error.into());
                }
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
        let (claims, unverified) = match claims {
            Ok(claims) => (claims, false),
            // The keys are out of reach (the network, the provider failing): the ID token can be neither trusted nor
            // refuted. The tokens are kept without it, as if the response had none (OIDC Core 12.2 allows that):
            // throwing them away would leave the old refresh token, which a rotation has used up, to be presented
            // again and trip the provider's reuse detection (RFC 9700 4.14.2).
            Err(error) if is_unverifiable(&error) => (None, true),
            // Tokens whose ID token fails its checks are not kept; unrevoked, a rotated refresh token would stay
            // live at the provider with nobody holding it (RFC 9700 2.2.2).
            Err(error) => {
                revoke_new().await;
                return Err(error);
            }
        };
        if unverified {
            response.id_token = None;
        }
        let renewed = current.renewed(response, claims, now);
        storage::save_session(&renewed)?;
        tabs::post_successor(used, &channel_key(&refresh_token), &renewed).await;
        Ok(Some(renewed))
    })
    .await
}

/// Whether a refreshed ID token's check failed because the keys could not be had (the network, the provider failing,
/// a JWKS that arrived broken), not because the token failed a rule: only then is the ID token dropped and the tokens
/// kept. An algorithm the provider does not list, a bad signature, a claim that changed: the answer is refused.
fn is_unverifiable(error: &AuthError) -> bool {
    matches!(
        error,
        AuthError::Unreachable { .. } | AuthError::Status { .. } | AuthError::Jwks(_)
    )
}

/// Whether this tab's stored session still holds `refresh_token`: checked after every await, with nothing awaited
/// between the check and what depends on it.
fn holds(refresh_token: &RefreshToken) -> bool {
    storage::load_session()
        .found()
        .is_some_and(|stored| stored.refresh_token.as_ref() == Some(refresh_token))
}

/// What a renewal's failure for good does to the session: it ends, its storage (and DPoP key) cleared. A refused
/// grant says so; anything else (the configuration, an answer that stands) is shown as the renewal's failure, never
/// as a failed sign-in.
fn end_with(error: AuthError) -> AuthAction {
    dpop::clear_storage();
    match error.verdict() {
        Verdict::GrantGone => AuthAction::Ended(SignedOutReason::RenewalRefused),
        _ => AuthAction::Failed(AuthError::Renewal(Box::new(error))),
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

/// Watches one session until it is replaced or ends: renews it `renew_margin_seconds` before expiry; after a
/// transient failure reports the session as [`Reconnecting`] and tries again on the schedule of [`retry_delay`],
/// sooner when the network comes back or the page becomes visible (unless the provider asked for the wait with
/// `Retry-After`), never within [`next_allowed`]; ends it when the provider refuses the grant, the absolute limit
/// passes, or it expires without a refresh token. The one place a tab renews: [`renew_now`] asks it. `cancelled`
/// is set when the session is no longer the one shown; nothing happens after that.
pub async fn keep_alive(
    config: Rc<Config>,
    session: Rc<Session>,
    cancelled: Rc<Cell<bool>>,
    dispatch: impl Fn(AuthAction),
    report: impl Fn(Option<Rc<Reconnecting>>),
) {
    renewals(|r| r.failing = None);
    let mut failures = 0;
    // No attempt before this second: a backoff, or the provider's `Retry-After` when `asked_to_wait`.
    let (mut not_before, mut asked_to_wait) = (0, false);
    while !cancelled.get() {
        let now = clock::now();
        let planned = match plan(&session, now, config.renew_margin_seconds) {
            Plan::WaitUntil(_) if renewals(|r| std::mem::take(&mut r.asked)) => Plan::Renew,
            planned => planned,
        };
        match planned {
            Plan::EndAt(at) if now >= at => {
                dpop::clear_storage();
                return dispatch(AuthAction::Ended(SignedOutReason::Expired));
            }
            Plan::Lapsed => {
                dpop::clear_storage();
                return dispatch(AuthAction::Ended(SignedOutReason::RenewalLapsed));
            }
            Plan::EndAt(at) | Plan::WaitUntil(at) => {
                wait_until(at).await;
            }
            Plan::Renew if now < not_before.max(next_allowed()) => {
                // The network back, the page visible again: the backoff is over, the floor stays.
                if wait_until(not_before.max(next_allowed())).await == Wake::World && !asked_to_wait
                {
                    not_before = 0;
                }
            }
            Plan::Renew => {
                let outcome = renew(&config, &session).await;
                if cancelled.get() {
                    return;
                }
                let error = match outcome {
                    Ok(renewed) => {
                        renewals(|r| r.asked = false);
                        renewals(|r| r.failing = None);
                        report(None);
                        renewed
                            .into_iter()
                            .for_each(|renewed| dispatch(AuthAction::Renewed(Rc::new(renewed))));
                        return wake::notify();
                    }
                    Err(error) if error.is_transient() => Rc::new(error),
                    Err(error) => {
                        renewals(|r| r.failing = None);
                        dispatch(end_with(error));
                        return wake::notify();
                    }
                };
                let random = u32::from_le_bytes({
                    let mut bytes = [0; 4];
                    clock::random(&mut bytes);
                    bytes
                });
                let retry_after = error.retry_after();
                // `clock::now()` counts whole seconds, so waiting until a second can last up to one second less than
                // the difference: one more keeps a `Retry-After` the minimum it is (RFC 9110 10.2.3).
                not_before = clock::now()
                    .saturating_add(retry_delay(failures, retry_after, random))
                    .saturating_add(u64::from(retry_after.is_some()));
                asked_to_wait = retry_after.is_some();
                failures = failures.saturating_add(1);
                renewals(|r| r.failing = Some(error.clone()));
                report(Some(Rc::new(Reconnecting {
                    last_success: session.obtained_at,
                    attempts: failures,
                    next_attempt: not_before,
                    offline: !wake::is_online(),
                    error,
                })));
                wake::notify();
            }
        }
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use std::cell::RefCell;

    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::oidc::testing::stored_session;

    /// A provider nobody answers for: endpoints pinned on a loopback port that refuses connections, so every
    /// request fails at once with a network error, as offline.
    fn unreachable_provider() -> Rc<Config> {
        let config = Config::from_json(
            r#"{"issuer": "http://127.0.0.1:9", "client_id": "spa",
                "authorization_endpoint": "http://127.0.0.1:9/auth",
                "token_endpoint": "http://127.0.0.1:9/token", "jwks_uri": "http://127.0.0.1:9/jwks"}"#,
            &url::Url::parse("http://127.0.0.1:8000/").unwrap(),
        );
        Rc::new(config.expect("a valid configuration"))
    }

    /// A stored session of that provider whose access token expired `ago` seconds after arriving `age` seconds ago.
    fn stored(refresh: Option<&str>, age: u64, ago: u64) -> Rc<Session> {
        let now = clock::now();
        let mut session = stored_session(refresh.unwrap_or("unused"), "at");
        session.refresh_token = refresh.map(|token| RefreshToken::new(token.into()));
        session.issuer = "http://127.0.0.1:9".into();
        session.obtained_at = now - age;
        session.expires_at = now - ago;
        storage::save_session(&session).unwrap();
        Rc::new(session)
    }

    /// Runs the watcher for `session` for `millis`, then stops it; returns what it dispatched and reported.
    async fn watch(session: Rc<Session>, millis: u32) -> (Vec<String>, Vec<Option<u32>>) {
        renewals(|r| r.last_attempt = 0);
        let (actions, reports) = (
            Rc::new(RefCell::new(Vec::new())),
            Rc::new(RefCell::new(Vec::new())),
        );
        let cancelled = Rc::new(Cell::new(false));
        wasm_bindgen_futures::spawn_local(keep_alive(
            unreachable_provider(),
            session,
            cancelled.clone(),
            {
                let actions = actions.clone();
                move |action| actions.borrow_mut().push(format!("{action:?}"))
            },
            {
                let reports = reports.clone();
                move |status: Option<Rc<Reconnecting>>| {
                    reports
                        .borrow_mut()
                        .push(status.map(|status| status.attempts))
                }
            },
        ));
        TimeoutFuture::new(millis).await;
        cancelled.set(true);
        wake::notify();
        renewals(|r| r.last_attempt = 0);
        let actions = actions.borrow().clone();
        let reports = reports.borrow().clone();
        (actions, reports)
    }

    #[wasm_bindgen_test]
    async fn an_expired_access_token_with_a_refresh_token_waits_for_the_provider() {
        storage::clear_all();
        // Expired a minute ago, the provider out of reach: one failed attempt, reported, and the session kept.
        let session = stored(Some("rt"), 600, 60);
        let (actions, reports) = watch(session.clone(), 1_500).await;
        assert!(actions.is_empty(), "the session ended: {actions:?}");
        assert_eq!(reports, [Some(1)]);
        assert_eq!(storage::load_session().found().as_ref(), Some(&*session));
    }

    #[wasm_bindgen_test]
    async fn a_session_ends_at_the_absolute_limit_or_at_expiry_without_a_refresh_token() {
        storage::clear_all();
        // A day and a minute since the last tokens arrived: lapsed, without a request.
        let (actions, reports) = watch(stored(Some("rt"), 86_460, 60), 300).await;
        assert_eq!(actions, ["Ended(RenewalLapsed)"]);
        assert!(reports.is_empty());
        assert_eq!(storage::load_session().found(), None);
        // No refresh token, expired: ended as expired.
        let (actions, _) = watch(stored(None, 600, 60), 300).await;
        assert_eq!(actions, ["Ended(Expired)"]);
        assert_eq!(storage::load_session().found(), None);
    }
}
