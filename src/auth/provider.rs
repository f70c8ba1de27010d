//! The auth context: one provider component that owns every effect, and the `use_auth()` hook whose
//! handle offers the verbs `sign_in`, `sign_out` and `sign_out_at_provider`.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::flow;
use super::{AuthAction, AuthState, SignedOutReason};
use crate::browser::{clock, location};
use crate::oidc::config::Config;

/// What components get from `use_auth()`: the state, the configuration and the verbs.
#[derive(Clone)]
pub struct AuthHandle {
    state: UseReducerHandle<AuthState>,
    config: Option<Rc<Config>>,
}

impl PartialEq for AuthHandle {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
            && match (&self.config, &other.config) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl AuthHandle {
    pub fn state(&self) -> &AuthState {
        &self.state
    }

    /// Starts a sign-in that comes back to `return_to` (a same-origin path; anything else becomes `/`).
    pub fn sign_in(&self, return_to: &str) {
        let Some(config) = self.config.clone() else {
            return;
        };
        let state = self.state.clone();
        let return_to = return_to.to_owned();
        state.dispatch(AuthAction::Redirecting);
        spawn_local(async move {
            if let Err(error) = flow::sign_in(&config, &return_to).await {
                state.dispatch(AuthAction::Failed(error));
            }
        });
    }

    /// Local sign-out: forgets the session in this tab; the provider's session stays alive.
    pub fn sign_out(&self) {
        flow::sign_out_local();
        self.state
            .dispatch(AuthAction::SignedOut(SignedOutReason::Local));
    }

    /// Provider sign-out: forgets the session, then ends the provider's session too.
    pub fn sign_out_at_provider(&self) {
        let Some(config) = self.config.clone() else {
            return;
        };
        let state = self.state.clone();
        state.dispatch(AuthAction::Redirecting);
        spawn_local(async move {
            match flow::sign_out_at_provider(&config).await {
                // The browser is leaving for the provider; stay in `Loading` until it does.
                Ok(SignedOutReason::Provider) => {}
                Ok(reason) => state.dispatch(AuthAction::SignedOut(reason)),
                Err(error) => state.dispatch(AuthAction::Failed(error)),
            }
        });
    }

    /// Leaves an error view: shows whatever session this tab still holds.
    pub fn dismiss_error(&self) {
        if let Some(config) = &self.config {
            self.state.dispatch(flow::restore(config));
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct AuthProviderProps {
    #[prop_or_default]
    pub children: Html,
}

/// Loads `config.json`, then completes a callback, checks a provider sign-out's return, or restores
/// the session, in that order. Place it inside the router.
#[function_component(AuthProvider)]
pub fn auth_provider(props: &AuthProviderProps) -> Html {
    let state = use_reducer(|| AuthState::Loading);
    let config = use_state(|| None::<Rc<Config>>);

    {
        let state = state.clone();
        let config = config.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                let loaded = match flow::load_config().await {
                    Ok(loaded) => Rc::new(loaded),
                    Err(error) => return state.dispatch(AuthAction::Failed(error)),
                };
                config.set(Some(loaded.clone()));
                state.dispatch(start(&loaded).await);
            });
        });
    }

    // A session that expires while the tab is open ends then, not at the next reload.
    {
        let state = state.clone();
        let expires_at = match &*state {
            AuthState::SignedIn(session) => Some(session.expires_at),
            _ => None,
        };
        use_effect_with(expires_at, move |expires_at| {
            let timer = expires_at.map(|expires_at| {
                // setTimeout holds at most 2^31 - 1 ms; a timer that fires early re-checks below.
                let millis = expires_at
                    .saturating_sub(clock::now())
                    .saturating_mul(1000)
                    .min(i32::MAX as u64) as u32;
                Timeout::new(millis, move || {
                    if clock::now() >= expires_at {
                        flow::sign_out_local();
                        state.dispatch(AuthAction::Expired);
                    }
                })
            });
            move || drop(timer)
        });
    }

    let handle = AuthHandle {
        state,
        config: (*config).clone(),
    };
    html! {
        <ContextProvider<AuthHandle> context={handle}>
            { props.children.clone() }
        </ContextProvider<AuthHandle>>
    }
}

/// The first thing a page load does once the configuration is known.
async fn start(config: &Config) -> AuthAction {
    let Some(url) = location::current() else {
        return flow::restore(config);
    };
    if flow::is_callback(config, &url) {
        return match flow::complete_sign_in(config, &url).await {
            Ok((session, return_to)) => {
                location::replace_path(&return_to);
                AuthAction::SignedIn(Rc::new(session))
            }
            Err(error) => AuthAction::Failed(error),
        };
    }
    match flow::finish_provider_sign_out(config, &url) {
        Some(Ok(())) => AuthAction::SignedOut(SignedOutReason::Provider),
        Some(Err(error)) => AuthAction::Failed(error),
        None => flow::restore(config),
    }
}

/// The auth handle of the nearest `AuthProvider`.
#[hook]
pub fn use_auth() -> AuthHandle {
    // Outside a provider there is nothing to sign in with; that is a programming error in the app's
    // component tree, not bad input.
    use_context::<AuthHandle>().expect("use_auth() must be called inside <AuthProvider>")
}
