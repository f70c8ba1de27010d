//! The auth state: one enum, changed only by the pure reducer below.

use std::rc::Rc;

use yew::Reducible;

use super::AuthError;
use crate::oidc::session::Session;

/// Where the tab's sign-in stands; read it with `use_auth().state()`.
///
/// ```no_run
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthState, SignedOutReason, use_auth};
/// # #[function_component(Status)]
/// # fn status() -> Html {
/// # let auth = use_auth();
/// match auth.state() {
///     AuthState::SignedIn(session) => html! { <p>{ &session.display_name }</p> },
///     AuthState::SignedOut(SignedOutReason::Expired) => html! { <p>{ "Your session ended." }</p> },
///     AuthState::SignedOut(_) => html! { <p>{ "Signed out." }</p> },
///     AuthState::Failed(error) => html! { <p role="alert">{ error.to_string() }</p> },
///     // Loading, and any state a later release adds (the enum is non-exhaustive).
///     _ => html! { <p>{ "…" }</p> },
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthState {
    /// Reading config.json, restoring the session or completing a callback.
    Loading,
    SignedOut(SignedOutReason),
    SignedIn(Rc<Session>),
    Failed(Rc<AuthError>),
}

/// A signed-in session waiting to renew: its last renewal failed for a reason that passes (the network, the
/// provider down or asking to slow down). The session stays; its access token may have expired meanwhile, and
/// `access_token()` and `fetch()` wait for the renewal rather than hand it out. Read it with
/// `use_auth().reconnecting()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reconnecting {
    /// Unix second the session's tokens last arrived (the sign-in or the last renewal).
    pub last_success: u64,
    /// Failed attempts in a row.
    pub attempts: u32,
    /// Unix second of the next attempt; sooner when the network comes back or the page becomes visible again.
    pub next_attempt: u64,
    /// The browser said it was offline (`navigator.onLine`) when the last attempt failed.
    pub offline: bool,
    /// Why the last attempt failed. Never holds a token.
    pub error: Rc<AuthError>,
}

impl PartialEq for Reconnecting {
    fn eq(&self, other: &Self) -> bool {
        (
            self.last_success,
            self.attempts,
            self.next_attempt,
            self.offline,
        ) == (
            other.last_success,
            other.attempts,
            other.next_attempt,
            other.offline,
        ) && Rc::ptr_eq(&self.error, &other.error)
    }
}

/// Why nobody is signed in; the UI tells the user which sign-out happened.
///
/// ```no_run
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthState, SignedOutReason, use_auth};
/// # #[function_component(Expired)]
/// # fn expired() -> Html {
/// let auth = use_auth();
/// if let AuthState::SignedOut(SignedOutReason::Expired) = auth.state() {
///     // Offer a sign-in that comes back to this page.
///     return html! { <button onclick={move |_| auth.sign_in_here()}>{ "Sign in again" }</button> };
/// }
/// html! {}
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedOutReason {
    /// No session in this tab yet.
    NoSession,
    /// The app's session was cleared; the provider's session is still alive.
    Local,
    /// As `Local`, but the provider did not confirm that it revoked the tokens (RFC 7009).
    LocalUnrevoked,
    /// The provider confirmed the sign-out (RP-Initiated Logout, `state` checked), here or in another tab.
    Provider,
    /// Signed out locally because the provider offers no `end_session_endpoint`.
    ProviderUnsupported,
    /// Signed out here, and the provider asked to end its session, but it sent nothing back that confirms it (a
    /// sign-out described in config.json without `state`).
    ProviderRequested,
    /// Another tab of the app started a provider sign-out: this tab's session ended; whether the provider's did is
    /// that tab's to find out.
    ElsewhereAtProvider,
    /// The session expired without a refresh token.
    Expired,
    /// The provider refused to renew the session (`invalid_grant`: revoked, or the provider session ended).
    RenewalRefused,
    /// The session could not renew for a day (or for the refresh token's stated lifetime): the provider was
    /// unreachable all that time. The absolute limit of [`renewal_deadline`](crate::oidc::renewal::renewal_deadline).
    RenewalLapsed,
    /// Storage held something unreadable; it was cleared.
    StorageDiscarded,
}

impl SignedOutReason {
    /// The `data-kind` the UI contract exposes for the signed-out notice, if one is shown.
    pub fn kind(self) -> Option<&'static str> {
        match self {
            SignedOutReason::NoSession => None,
            SignedOutReason::Local
            | SignedOutReason::LocalUnrevoked
            | SignedOutReason::ProviderUnsupported => Some("local"),
            SignedOutReason::Provider => Some("provider"),
            SignedOutReason::ProviderRequested => Some("provider-requested"),
            SignedOutReason::ElsewhereAtProvider => Some("elsewhere"),
            SignedOutReason::Expired => Some("expired"),
            SignedOutReason::RenewalRefused => Some("renewal-refused"),
            SignedOutReason::RenewalLapsed => Some("renewal-limit"),
            SignedOutReason::StorageDiscarded => Some("discarded"),
        }
    }
}

#[derive(Debug)]
#[non_exhaustive]
pub enum AuthAction {
    /// A redirect to the provider is under way.
    Redirecting,
    SignedIn(Rc<Session>),
    /// New tokens for the session shown; ignored unless a session is shown (a sign-out wins over a
    /// renewal that was still on its way).
    Renewed(Rc<Session>),
    SignedOut(SignedOutReason),
    Failed(AuthError),
    /// The session shown ended for `reason` (its expiry, its renewal refused or lapsed); ignored unless a session is
    /// shown, so a late timer cannot overwrite a sign-out or a sign-in.
    Ended(SignedOutReason),
    /// The tokens of a local sign-out could not be revoked.
    RevocationFailed,
}

impl PartialEq for AuthState {
    /// Identity, not deep equality: enough for Yew to know when to re-render, and it never compares
    /// tokens byte by byte.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (AuthState::Loading, AuthState::Loading) => true,
            (AuthState::SignedOut(a), AuthState::SignedOut(b)) => a == b,
            (AuthState::SignedIn(a), AuthState::SignedIn(b)) => Rc::ptr_eq(a, b),
            (AuthState::Failed(a), AuthState::Failed(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Reducible for AuthState {
    type Action = AuthAction;

    fn reduce(self: Rc<Self>, action: AuthAction) -> Rc<Self> {
        let next = match action {
            AuthAction::Redirecting => AuthState::Loading,
            AuthAction::SignedIn(session) => AuthState::SignedIn(session),
            AuthAction::Renewed(session) => match *self {
                AuthState::SignedIn(_) => AuthState::SignedIn(session),
                _ => return self,
            },
            AuthAction::SignedOut(reason) => AuthState::SignedOut(reason),
            // A sign-in window that was blocked or closed changes nothing for a session shown (a step-up in a window
            // given up): the session stays, and with it its renewal.
            AuthAction::Failed(AuthError::Popup(_)) if matches!(*self, AuthState::SignedIn(_)) => {
                return self;
            }
            AuthAction::Failed(error) => AuthState::Failed(Rc::new(error)),
            // Only a live session can end; a late timer must not overwrite another state.
            AuthAction::Ended(reason) => match *self {
                AuthState::SignedIn(_) => AuthState::SignedOut(reason),
                _ => return self,
            },
            // Revocation runs after the local sign-out is shown; its failure amends only that notice, never a
            // sign-in that happened meanwhile.
            AuthAction::RevocationFailed => match *self {
                AuthState::SignedOut(SignedOutReason::Local) => {
                    AuthState::SignedOut(SignedOutReason::LocalUnrevoked)
                }
                _ => return self,
            },
        };
        Rc::new(next)
    }
}

/// What happened to the session, for an app that logs or reacts without polling the state: the `on_event`
/// callback of [`AuthProvider`](super::AuthProvider). Never carries a token in its `Debug` output.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthEvent {
    /// A session is shown: after a sign-in, or restored at start-up (a reload, a new tab).
    SignedIn(Rc<Session>),
    /// The session's tokens were renewed (by this tab or another one).
    Renewed(Rc<Session>),
    /// A renewal failed for a reason that passes; the session stays and renewal goes on. Once per stretch of
    /// failures, with the first failure's details.
    RenewalFailing(Rc<Reconnecting>),
    /// A renewal succeeded after [`RenewalFailing`](Self::RenewalFailing); a [`Renewed`](Self::Renewed) follows.
    Recovered,
    /// Nobody is signed in, and why (also at start-up, with [`SignedOutReason::NoSession`]).
    SignedOut(SignedOutReason),
    /// A sign-in, a callback or the configuration failed.
    Failed(Rc<AuthError>),
}

/// What [`events`] remembers between renders: whether a stretch of failed renewals is open, and the failure it
/// last saw (a renewed session renders once before its watcher clears the old failure: that one opens nothing).
#[derive(Default)]
pub(crate) struct Told {
    open: bool,
    failing: Option<Rc<Reconnecting>>,
}

/// What the app is told when the provider's state goes from `before` to `after`, with `failing` its failed renewal
/// now; `told` is what the last call returned.
pub(crate) fn events(
    before: &AuthState,
    after: &AuthState,
    told: &Told,
    failing: Option<&Rc<Reconnecting>>,
) -> (Vec<AuthEvent>, Told) {
    let mut events = Vec::new();
    let mut open = told.open;
    match (before, after) {
        (AuthState::SignedIn(old), AuthState::SignedIn(new)) if !Rc::ptr_eq(old, new) => {
            if open {
                events.push(AuthEvent::Recovered);
                open = false;
            }
            events.push(AuthEvent::Renewed(new.clone()));
        }
        (AuthState::SignedIn(_), AuthState::SignedIn(_)) => {}
        (_, AuthState::SignedIn(new)) => events.push(AuthEvent::SignedIn(new.clone())),
        (AuthState::SignedOut(old), AuthState::SignedOut(new)) if old == new => {}
        (_, AuthState::SignedOut(reason)) => events.push(AuthEvent::SignedOut(*reason)),
        (AuthState::Failed(old), AuthState::Failed(new)) if Rc::ptr_eq(old, new) => {}
        (_, AuthState::Failed(error)) => events.push(AuthEvent::Failed(error.clone())),
        _ => {}
    }
    if !matches!(after, AuthState::SignedIn(_)) {
        open = false;
    }
    let seen_before = |now: &Rc<Reconnecting>| {
        told.failing
            .as_ref()
            .is_some_and(|seen| Rc::ptr_eq(seen, now))
    };
    if let (Some(now), false, AuthState::SignedIn(_)) = (failing, open, after)
        && !seen_before(now)
    {
        events.push(AuthEvent::RenewalFailing(now.clone()));
        open = true;
    }
    let told = Told {
        open,
        failing: failing.cloned(),
    };
    (events, told)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::callback::CallbackError;

    /// The events from `before` to `after`, by kind, and whether a stretch of failures stays open. `seen`: the
    /// failure the last render saw, with the stretch open.
    fn told(
        before: &AuthState,
        after: &AuthState,
        seen: Option<&Rc<Reconnecting>>,
        failing: Option<&Rc<Reconnecting>>,
    ) -> (Vec<&'static str>, bool) {
        let told = Told {
            open: seen.is_some(),
            failing: seen.cloned(),
        };
        let (events, told) = events(before, after, &told, failing);
        let open = told.open;
        let kinds = events
            .iter()
            .map(|event| match event {
                AuthEvent::SignedIn(_) => "signed-in",
                AuthEvent::Renewed(_) => "renewed",
                AuthEvent::RenewalFailing(_) => "failing",
                AuthEvent::Recovered => "recovered",
                AuthEvent::SignedOut(_) => "signed-out",
                AuthEvent::Failed(_) => "failed",
            })
            .collect();
        (kinds, open)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_app_is_told_each_change_once() {
        let session = Rc::new(crate::oidc::testing::stored_session("rt-1", "at-1"));
        let renewed = Rc::new(crate::oidc::testing::stored_session("rt-2", "at-2"));
        let (signed_in, renewed_state) = (
            AuthState::SignedIn(session.clone()),
            AuthState::SignedIn(renewed),
        );
        let failing = Rc::new(Reconnecting {
            last_success: 0,
            attempts: 1,
            next_attempt: 5,
            offline: true,
            error: Rc::new(AuthError::BadSignature),
        });
        let out = AuthState::SignedOut(SignedOutReason::Local);

        assert_eq!(
            told(&AuthState::Loading, &signed_in, None, None),
            (vec!["signed-in"], false)
        );
        // The same session rendered again (a re-render for another reason): nothing.
        let same = AuthState::SignedIn(session);
        assert_eq!(told(&signed_in, &same, None, None), (vec![], false));
        // A failure that passes: told once, however many renders and attempts follow.
        assert_eq!(
            told(&signed_in, &signed_in, None, Some(&failing)),
            (vec!["failing"], true)
        );
        assert_eq!(
            told(&signed_in, &signed_in, Some(&failing), Some(&failing)),
            (vec![], true)
        );
        // Then a renewal: recovered, then renewed; the stretch is closed, and the old failure, still shown in the
        // render of the renewed session, opens no new one.
        assert_eq!(
            told(&signed_in, &renewed_state, Some(&failing), Some(&failing)),
            (vec!["recovered", "renewed"], false)
        );
        assert_eq!(
            told(&signed_in, &renewed_state, None, None),
            (vec!["renewed"], false)
        );
        // Signing out closes a stretch without a recovery; the same reason rendered again is not told again.
        assert_eq!(
            told(&signed_in, &out, Some(&failing), Some(&failing)),
            (vec!["signed-out"], false)
        );
        assert_eq!(told(&out, &out, None, None), (vec![], false));
        let failed = AuthState::Failed(Rc::new(AuthError::BadSignature));
        assert_eq!(
            told(&AuthState::Loading, &failed, None, None),
            (vec!["failed"], false)
        );
        assert_eq!(told(&failed, &failed, None, None), (vec![], false));
        assert_eq!(
            told(&AuthState::Loading, &AuthState::Loading, None, None),
            (vec![], false)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_sign_in_window_given_up_never_hides_a_session() {
        use crate::auth::PopupError;
        let signed_in = Rc::new(AuthState::SignedIn(Rc::new(session())));
        for popup in [PopupError::Blocked, PopupError::Closed] {
            let after = signed_in.clone().reduce(AuthAction::Failed(popup.into()));
            assert!(Rc::ptr_eq(&after, &signed_in), "{popup}: the session stays");
            // Signed out, the window's failure is shown.
            let out = Rc::new(AuthState::SignedOut(SignedOutReason::NoSession));
            let after = out.reduce(AuthAction::Failed(popup.into()));
            assert!(
                matches!(&*after, AuthState::Failed(error) if matches!(**error, AuthError::Popup(_)))
            );
        }
        // Any other failure still shows (a refused sign-in with another account in a window, say).
        let after = signed_in.reduce(AuthAction::Failed(AuthError::BadSignature));
        assert!(matches!(&*after, AuthState::Failed(_)));
    }

    fn session() -> Session {
        serde_json::from_value(serde_json::json!({
            "access_token": "at", "id_token": "a.b.c", "expires_at": 100,
            "scopes": ["openid"], "display_name": "Alice", "issuer": "https://id.example",
            "client_id": "spa",
            "claims": { "iss": "https://id.example", "sub": "alice", "aud": ["spa"], "exp": 100, "iat": 1 }
        }))
        .expect("session fixture")
    }

    fn reduce(state: AuthState, action: AuthAction) -> AuthState {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn sign_in_and_sign_out_replace_the_state() {
        let signed_in = reduce(AuthState::Loading, AuthAction::SignedIn(Rc::new(session())));
        let AuthState::SignedIn(ref held) = signed_in else {
            panic!("expected signed in, got {signed_in:?}");
        };
        assert_eq!(held.display_name, "Alice");
        assert_eq!(
            reduce(signed_in, AuthAction::SignedOut(SignedOutReason::Local)),
            AuthState::SignedOut(SignedOutReason::Local)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_failure_is_kept_with_its_cause() {
        let failed = reduce(
            AuthState::Loading,
            AuthAction::Failed(AuthError::Callback(CallbackError::UnknownState)),
        );
        let AuthState::Failed(error) = failed else {
            panic!("expected failed, got {failed:?}");
        };
        assert!(matches!(
            *error,
            AuthError::Callback(CallbackError::UnknownState)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn an_end_ends_only_a_live_session() {
        for reason in [
            SignedOutReason::Expired,
            SignedOutReason::RenewalRefused,
            SignedOutReason::RenewalLapsed,
        ] {
            let signed_in = reduce(AuthState::Loading, AuthAction::SignedIn(Rc::new(session())));
            assert_eq!(
                reduce(signed_in, AuthAction::Ended(reason)),
                AuthState::SignedOut(reason)
            );
            // A late end after a sign-out must not turn a local sign-out into another reason.
            let signed_out = AuthState::SignedOut(SignedOutReason::Local);
            assert_eq!(
                reduce(signed_out.clone(), AuthAction::Ended(reason)),
                signed_out
            );
            assert_eq!(
                reduce(AuthState::Loading, AuthAction::Ended(reason)),
                AuthState::Loading
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_failed_revocation_amends_only_a_local_sign_out() {
        let local = AuthState::SignedOut(SignedOutReason::Local);
        assert_eq!(
            reduce(local, AuthAction::RevocationFailed),
            AuthState::SignedOut(SignedOutReason::LocalUnrevoked)
        );
        let signed_in = reduce(AuthState::Loading, AuthAction::SignedIn(Rc::new(session())));
        assert_eq!(
            reduce(signed_in.clone(), AuthAction::RevocationFailed),
            signed_in
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_late_renewal_never_undoes_a_sign_out() {
        let signed_in = reduce(AuthState::Loading, AuthAction::SignedIn(Rc::new(session())));
        let renewed = Rc::new(session());
        let AuthState::SignedIn(shown) = reduce(signed_in, AuthAction::Renewed(renewed.clone()))
        else {
            panic!("a renewal of a shown session is shown");
        };
        assert!(Rc::ptr_eq(&shown, &renewed));
        let local = AuthState::SignedOut(SignedOutReason::Local);
        assert_eq!(reduce(local.clone(), AuthAction::Renewed(renewed)), local);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_redirect_shows_loading() {
        let signed_out = AuthState::SignedOut(SignedOutReason::NoSession);
        assert_eq!(
            reduce(signed_out, AuthAction::Redirecting),
            AuthState::Loading
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn signed_out_kinds_follow_the_ui_contract() {
        assert_eq!(SignedOutReason::NoSession.kind(), None);
        assert_eq!(SignedOutReason::Local.kind(), Some("local"));
        assert_eq!(SignedOutReason::ProviderUnsupported.kind(), Some("local"));
        assert_eq!(SignedOutReason::Provider.kind(), Some("provider"));
        assert_eq!(
            SignedOutReason::ProviderRequested.kind(),
            Some("provider-requested")
        );
        assert_eq!(
            SignedOutReason::ElsewhereAtProvider.kind(),
            Some("elsewhere")
        );
        assert_eq!(SignedOutReason::Expired.kind(), Some("expired"));
        assert_eq!(
            SignedOutReason::RenewalRefused.kind(),
            Some("renewal-refused")
        );
        assert_eq!(SignedOutReason::RenewalLapsed.kind(), Some("renewal-limit"));
    }
}
