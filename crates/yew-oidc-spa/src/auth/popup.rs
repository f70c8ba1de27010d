//! Sign-in in a window of its own ([`AuthHandle::sign_in_popup`](super::AuthHandle::sign_in_popup)): the app's
//! page stays as it is, with its state. The window only carries the user to the provider and hands the
//! authorization response back; this tab checks and redeems it exactly as a redirect callback
//! ([`flow::complete`]), against the single-use record it stored itself.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use url::Url;
use web_sys::Window;

use super::{AuthAction, AuthError, flow};
use crate::browser::storage::{self, PerInstance};
use crate::browser::{clock, location, popup};
use crate::oidc::callback::{CALLBACK_PARAMS, MAX_PENDING_AGE_SECONDS, state_of};
use crate::oidc::config::{AuthorizationParams, Config};
use crate::oidc::secret::State;

/// Why a sign-in window did not complete. Either way the page is as it was; a sign-in in this window
/// ([`AuthHandle::sign_in`](super::AuthHandle::sign_in)) is the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PopupError {
    #[error(
        "the browser blocked the sign-in window (allow pop-ups for this site, or sign in in this window)"
    )]
    Blocked,
    /// The window is gone, or looks gone to this page: a provider whose pages send Cross-Origin-Opener-Policy cuts
    /// the link as soon as the window gets there. The request stays alive for such a window: its response, handed
    /// back over the app's channel, still completes the sign-in.
    #[error(
        "the sign-in window was closed, or the provider's pages cut its link to this page, before the sign-in \
         completed"
    )]
    Closed,
}

/// How long a sign-in window waits for the tab that opened it to take the response; past it, the response is
/// treated as one that arrived in this window (and is refused there: this window stored no request for it).
const HAND_BACK_PATIENCE_MS: u32 = 2_000;

/// How often the tab looks at the window: a closed window is reported within this time.
const WATCH_MS: u32 = 100;

/// Runs a sign-in in `window` (opened by [`popup::open`] in the click) and reports through `report`: a failure
/// before the window reaches the provider, [`PopupError::Closed`] as soon as the window is closed, and the
/// session (or why the response was refused) when the window hands the response back.
///
/// A closed window keeps its request alive for the pending record's lifetime: a provider whose pages send
/// `Cross-Origin-Opener-Policy` makes the window look closed to this tab as soon as it gets there, and its
/// response still arrives over the channel and completes the sign-in.
pub async fn sign_in(
    config: Rc<Config>,
    params: AuthorizationParams,
    window: Window,
    report: impl Fn(AuthAction),
) {
    let inbox = popup::Inbox::listen(&window);
    let state = match flow::prepare(&config, &params, &location::here()).await {
        Ok((destination, state)) if popup::navigate(&window, &destination) => state,
        Ok(_) => {
            popup::close(&window);
            return report(AuthAction::Failed(AuthError::Navigation(
                "the sign-in window",
            )));
        }
        Err(error) => {
            popup::close(&window);
            return report(AuthAction::Failed(error));
        }
    };
    let deadline = clock::now() + MAX_PENDING_AGE_SECONDS;
    let latest = Latest::start(&state);
    let mut open = true;
    // A newer sign-in window of this instance (the same window, reused) takes over: this one goes quiet.
    while clock::now() <= deadline && latest.is_latest() {
        let handed = inbox.take();
        if let Some(url) = handed
            .iter()
            .find_map(|text| response_for(&config, text, &state))
        {
            popup::acknowledge(state.secret());
            popup::close(&window);
            return report(match flow::complete(&config, &url).await {
                Ok((session, _)) => AuthAction::SignedIn(Rc::new(session)),
                Err(error) => AuthAction::Failed(error),
            });
        }
        if open && popup::is_closed(&window) {
            open = false;
            report(AuthAction::Failed(PopupError::Closed.into()));
        }
        TimeoutFuture::new(if open { WATCH_MS } else { 5 * WATCH_MS }).await;
    }
}

thread_local! {
    /// The `state` of each instance's latest sign-in window.
    static LATEST: PerInstance<String> = const { PerInstance::new() };
}

/// This instance's latest sign-in window, as [`sign_in`] started it (and runs, in the instance's namespace).
struct Latest {
    state: String,
}

impl Latest {
    fn start(state: &State) -> Latest {
        let latest = Latest {
            state: state.secret().to_owned(),
        };
        LATEST.with(|all| all.with(|current| current.clone_from(&latest.state)));
        latest
    }

    fn is_latest(&self) -> bool {
        LATEST.with(|all| all.with(|current| *current == self.state))
    }
}

/// `text` as the authorization response to the request with `state`: a URL at this app's redirect URI with that
/// `state`. Anything else (another sign-in's response, garbage on the channel) is not this sign-in's.
fn response_for(config: &Config, text: &str, state: &State) -> Option<Url> {
    let url = Url::parse(text).ok()?;
    let ours = flow::is_callback(config, &url) && state_of(&url).as_ref() == Some(state);
    ours.then_some(url)
}

/// In a sign-in window that arrived at the redirect URI: hands the response at `url`, with `state`, to the tab that
/// opened it, unless this tab started that sign-in itself. Returns whether that tab took it; this window is then done
/// and closes. In a tab that is no sign-in window, at once `false`: the response is this tab's, refused or redeemed
/// here.
pub async fn hand_back(url: &Url, state: &State) -> bool {
    // A response to a sign-in this tab started is this tab's to complete (a window that signs in by itself is a tab
    // of the app from now on). A sign-in window holds no record: its copy of the opener's storage was made when it
    // opened, before the request was stored.
    if storage::holds_pending(state) {
        storage::unmark_sign_in_window();
        return false;
    }
    if !popup::is_sign_in_window() {
        return false;
    }
    // RFC 9700 4.2.4: out of the address bar before it goes anywhere.
    location::strip_params(CALLBACK_PARAMS);
    let taken = popup::hand_back(url.as_str(), state.secret(), HAND_BACK_PATIENCE_MS).await;
    if taken {
        popup::close_self();
    } else {
        // Nobody took it: this window goes on as a tab of the app (its providers restore their sessions again from
        // the next page load or dismissed error on).
        storage::unmark_sign_in_window();
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_a_response_at_the_redirect_uri_with_this_state_is_taken() {
        let config = crate::oidc::testing::config();
        let state = State::new("s-123".to_owned());
        let at = |query: &str| {
            let mut url = config.redirect_uri.clone();
            url.set_query(Some(query));
            url.to_string()
        };
        assert!(response_for(&config, &at("code=c&state=s-123"), &state).is_some());
        assert!(response_for(&config, &at("error=access_denied&state=s-123"), &state).is_some());
        for other in [
            at("code=c&state=s-999"),
            at("code=c"),
            at("state=s-123"),
            "https://elsewhere.example/callback?code=c&state=s-123".to_owned(),
            "not a url".to_owned(),
            String::new(),
        ] {
            assert!(response_for(&config, &other, &state).is_none(), "{other}");
        }
        let mut elsewhere = config.redirect_uri.clone();
        elsewhere.set_path("/other");
        elsewhere.set_query(Some("code=c&state=s-123"));
        assert!(response_for(&config, elsewhere.as_str(), &state).is_none());
    }
}
