//! The auth context: one provider component that owns every effect, and the `use_auth()` hook whose
//! handle offers the verbs `sign_in`, `sign_out`, `sign_out_at_provider` and `refresh`.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{
    AuthAction, AuthEvent, AuthState, PopupError, Reconnecting, SignedOutReason, documents, dpop,
    flow, popup, renew, sign_out, state, tabs,
};
use crate::browser::{channel::Channel, location, storage};
use crate::oidc::callback::state_of;
use crate::oidc::config::{AuthorizationParams, Config, Dpop};

/// What components get from `use_auth()`: the state, the configuration and the verbs.
///
/// ```no_run
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthState, use_auth};
/// #[function_component(Account)]
/// fn account() -> Html {
///     let auth = use_auth();
///     let sign_out = { let auth = auth.clone(); Callback::from(move |_| auth.sign_out()) };
///     match auth.state() {
///         AuthState::SignedIn(session) => html! {
///             <p>{ &session.display_name }<button onclick={sign_out}>{ "Sign out" }</button></p>
///         },
///         _ => html! {},
///     }
/// }
/// ```
#[derive(Clone)]
pub struct AuthHandle {
    state: UseReducerHandle<AuthState>,
    config: Option<Rc<Config>>,
    reconnecting: Option<Rc<Reconnecting>>,
}

impl PartialEq for AuthHandle {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
            && same(&self.config, &other.config)
            && same(&self.reconnecting, &other.reconnecting)
    }
}

/// Two shared values by identity (the configuration, the reconnecting status): each is made once and shared, so a
/// field-by-field comparison (all of `Config`'s equality code in the binary) would decide nothing.
fn same<T>(a: &Option<Rc<T>>, b: &Option<Rc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl AuthHandle {
    pub fn state(&self) -> &AuthState {
        &self.state
    }

    /// Set while the session shown waits to renew after a failure that passes (the network, the provider down): for
    /// a small non-blocking status. The session stays signed in meanwhile.
    ///
    /// ```no_run
    /// # use yew::prelude::*;
    /// # use yew_oidc_spa::use_auth;
    /// # #[function_component(Status)]
    /// # fn status() -> Html {
    /// let auth = use_auth();
    /// match auth.reconnecting() {
    ///     Some(_) => html! { <p role="status">{ "Reconnecting to the provider…" }</p> },
    ///     None => html! {},
    /// }
    /// # }
    /// ```
    pub fn reconnecting(&self) -> Option<&Reconnecting> {
        self.reconnecting.as_deref()
    }

    /// The configuration in use, once loaded.
    pub fn config(&self) -> Option<&Config> {
        self.config.as_deref()
    }

    /// This instance's namespace ([`storage::within`]): every name it gives anything in the browser starts with it.
    pub(crate) fn namespace(&self) -> Rc<str> {
        self.config
            .as_ref()
            .map_or_else(storage::current, |config| {
                storage::namespace_of(&config.instance())
            })
    }

    /// Starts a sign-in that comes back to the current page.
    pub fn sign_in_here(&self) {
        self.sign_in(&location::here());
    }

    /// Starts a sign-in that comes back to `return_to`, a path relative to the app's base (`/` is the app's home,
    /// also when it is served under `/some/app/`); anything that could lead off the origin becomes `/`.
    pub fn sign_in(&self, return_to: &str) {
        self.sign_in_with(return_to, &AuthorizationParams::default());
    }

    /// [`sign_in`](Self::sign_in) with extra authorization parameters for this sign-in only (`prompt`,
    /// `login_hint`, `max_age`, `resource`, …); those it sets replace the configuration's.
    pub fn sign_in_with(&self, return_to: &str, overrides: &AuthorizationParams) {
        let Some(config) = self.config.clone() else {
            return;
        };
        let _entered = storage::enter(&self.namespace());
        let state = self.state.clone();
        let return_to = return_to.to_owned();
        let params = config.params.overridden_by(overrides);
        state.dispatch(AuthAction::Redirecting);
        storage::spawn(async move {
            if let Err(error) = flow::sign_in(&config, &params, &return_to).await {
                state.dispatch(AuthAction::Failed(error));
            }
        });
    }

    /// Signs in in a window of its own, leaving this page as it is (its state, its scroll, a half-filled form): the
    /// window goes to the provider and hands the response back, and this tab completes the sign-in with the same
    /// checks as a redirect. Call it in a click handler, as browsers open windows only then.
    ///
    /// A blocked window fails at once with [`PopupError::Blocked`], a closed one with [`PopupError::Closed`] as
    /// soon as it closes; [`sign_in`](Self::sign_in) in this window is the fallback for both.
    ///
    /// ```no_run
    /// # use yew::prelude::*;
    /// # use yew_oidc_spa::{AuthError, AuthState, PopupError, use_auth};
    /// # #[function_component(SignIn)]
    /// # fn sign_in() -> Html {
    /// let auth = use_auth();
    /// if let AuthState::Failed(error) = auth.state()
    ///     && matches!(**error, AuthError::Popup(PopupError::Blocked))
    /// {
    ///     return html! { <button onclick={move |_| auth.sign_in_here()}>{ "Sign in in this window" }</button> };
    /// }
    /// html! { <button onclick={move |_| auth.sign_in_popup()}>{ "Sign in" }</button> }
    /// # }
    /// ```
    pub fn sign_in_popup(&self) {
        self.sign_in_popup_with(&AuthorizationParams::default());
    }

    /// [`sign_in_popup`](Self::sign_in_popup) with extra authorization parameters for this sign-in only, as
    /// [`sign_in_with`](Self::sign_in_with).
    pub fn sign_in_popup_with(&self, overrides: &AuthorizationParams) {
        let Some(config) = self.config.clone() else {
            return;
        };
        let _entered = storage::enter(&self.namespace());
        let state = self.state.clone();
        // In the click's own turn: after an `await` the browser would block it.
        let Some(window) = crate::browser::popup::open() else {
            return state.dispatch(AuthAction::Failed(PopupError::Blocked.into()));
        };
        let params = config.params.overridden_by(overrides);
        storage::spawn(popup::sign_in(config, params, window, move |action| {
            state.dispatch(action)
        }));
    }

    /// Local sign-out: forgets the session in this tab at once, then revokes its tokens (RFC 7009). The
    /// provider's session stays alive, and other tabs keep their own sessions.
    ///
    /// ```no_run
    /// # use yew::prelude::*;
    /// # use yew_oidc_spa::use_auth;
    /// # #[function_component(SignOut)]
    /// # fn sign_out() -> Html {
    /// let auth = use_auth();
    /// html! { <button onclick={move |_| auth.sign_out()}>{ "Sign out here" }</button> }
    /// # }
    /// ```
    pub fn sign_out(&self) {
        let Some(config) = self.config.clone() else {
            return;
        };
        let _entered = storage::enter(&self.namespace());
        let forgotten = sign_out::forget();
        let state = self.state.clone();
        state.dispatch(AuthAction::SignedOut(SignedOutReason::Local));
        let Some(forgotten) = forgotten else {
            return;
        };
        storage::spawn(async move {
            if !sign_out::revoke_forgotten(&config, forgotten).await {
                state.dispatch(AuthAction::RevocationFailed);
            }
        });
    }

    /// Provider sign-out: forgets the session, revokes its tokens, then ends the provider's session too.
    ///
    /// ```no_run
    /// # use yew::prelude::*;
    /// # use yew_oidc_spa::use_auth;
    /// # #[function_component(SignOutEverywhere)]
    /// # fn sign_out_everywhere() -> Html {
    /// let auth = use_auth();
    /// html! { <button onclick={move |_| auth.sign_out_at_provider()}>{ "Sign out everywhere" }</button> }
    /// # }
    /// ```
    pub fn sign_out_at_provider(&self) {
        let Some(config) = self.config.clone() else {
            return;
        };
        let _entered = storage::enter(&self.namespace());
        let state = self.state.clone();
        state.dispatch(AuthAction::Redirecting);
        storage::spawn(async move {
            match sign_out::sign_out_at_provider(&config).await {
                // The browser is leaving for the provider; stay in `Loading` until it does.
                Ok(SignedOutReason::Provider) => {}
                Ok(reason) => state.dispatch(AuthAction::SignedOut(reason)),
                Err(error) => state.dispatch(AuthAction::Failed(error)),
            }
        });
    }

    /// Renews the session now with its refresh token (one tab at a time, never within
    /// [`MIN_RENEW_INTERVAL_SECONDS`](crate::oidc::renewal::MIN_RENEW_INTERVAL_SECONDS) of the last attempt). A
    /// failure that passes shows as [`reconnecting`](Self::reconnecting), as the automatic renewal's does.
    pub fn refresh(&self) {
        if matches!(&*self.state, AuthState::SignedIn(_)) {
            let _entered = storage::enter(&self.namespace());
            renew::renew_now();
        }
    }

    /// Leaves an error view: shows whatever session this tab still holds.
    pub fn dismiss_error(&self) {
        if let Some(config) = &self.config {
            let _entered = storage::enter(&self.namespace());
            self.state.dispatch(flow::restore(config));
        }
    }
}

#[derive(Properties)]
pub struct AuthProviderProps {
    #[prop_or_default]
    pub children: Html,
    /// The configuration to use; when absent, `config.json` is fetched from the app's base URL (one build, many
    /// deployments). Build one with [`Config::from_json`].
    #[prop_or_default]
    pub config: Option<Rc<Config>>,
    /// Told what happens to the session (signed in, renewed, renewal failing and recovered, signed out with the
    /// reason, failed), after the render that shows it: for logging, analytics, or clearing the app's own data.
    #[prop_or_default]
    pub on_event: Option<Callback<AuthEvent>>,
}

/// The configuration by identity: the provider reads the prop once, at its start.
impl PartialEq for AuthProviderProps {
    fn eq(&self, other: &Self) -> bool {
        self.children == other.children
            && same(&self.config, &other.config)
            && self.on_event == other.on_event
    }
}

/// Loads the configuration (the `config` prop, else `config.json`), then completes a callback, checks a provider
/// sign-out's return, or restores the session, in that order; then keeps the session alive and listens to the
/// app's other tabs.
///
/// ```no_run
/// # use std::rc::Rc;
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthProvider, Config};
/// # #[function_component(App)]
/// # fn app() -> Html { html! {} }
/// # fn views(base: &url::Url) -> Result<(), yew_oidc_spa::oidc::ConfigError> {
/// html! { <AuthProvider><App /></AuthProvider> };
/// // or with a configuration built in code:
/// let config = Rc::new(Config::from_json(r#"{"issuer": "https://id.example", "client_id": "spa"}"#, base)?);
/// html! { <AuthProvider {config}><App /></AuthProvider> };
/// # Ok(())
/// # }
/// ```
#[function_component(AuthProvider)]
pub fn auth_provider(props: &AuthProviderProps) -> Html {
    let state = use_reducer(|| AuthState::Loading);
    let config = use_state(|| None::<Rc<Config>>);
    let reconnecting = use_state_eq(|| None::<Rc<Reconnecting>>);

    // The app's events: what changed since the last render that told it anything.
    {
        let seen = use_mut_ref(|| (AuthState::Loading, state::Told::default()));
        let (now, failing) = ((*state).clone(), (*reconnecting).clone());
        let on_event = props.on_event.clone();
        use_effect(move || {
            let mut seen = seen.borrow_mut();
            let (events, told) = state::events(&seen.0, &now, &seen.1, failing.as_ref());
            *seen = (now, told);
            drop(seen);
            if let Some(on_event) = on_event {
                for event in events {
                    on_event.emit(event);
                }
            }
        });
    }

    {
        let state = state.clone();
        let config = config.clone();
        let given = props.config.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                let loaded = match given {
                    Some(given) => given,
                    None => match documents::load_config().await {
                        Ok(loaded) => Rc::new(loaded),
                        Err(error) => return state.dispatch(AuthAction::Failed(error)),
                    },
                };
                config.set(Some(loaded.clone()));
                // Every name it reads or writes is in this instance's namespace.
                let namespace = storage::namespace_of(&loaded.instance());
                storage::within(namespace, async move {
                    state.dispatch(start(&loaded).await);
                    // After the first signed-in or signed-out view, not before it. Only where DPoP is on: any
                    // other app would create the key database just to find it empty.
                    if loaded.dpop != Dpop::Off {
                        dpop::sweep_keys().await;
                    }
                })
                .await;
            });
        });
    }

    // Other tabs of this app: a renewal of the session this tab shares, or a provider sign-out. The channel is the
    // app's own (named after its instance), so it opens once the configuration is known.
    {
        let state = state.clone();
        let instance = config.as_ref().map(|config| config.instance());
        use_effect_with(instance, move |instance| {
            let channel = instance.as_ref().and_then(|instance| {
                let namespace = storage::namespace_of(instance);
                let _entered = storage::enter(&namespace);
                Channel::open(&tabs::channel_name(), move |text| {
                    let state = state.clone();
                    spawn_local(storage::within(namespace.clone(), async move {
                        if let Some(action) = tabs::receive(&text).await {
                            state.dispatch(action);
                        }
                    }));
                })
            });
            move || drop(channel)
        });
    }

    // The session shown is kept alive until it is replaced or ends; then its watcher stops.
    {
        let session = match &*state {
            AuthState::SignedIn(session) => Some(session.clone()),
            _ => None,
        };
        let watch = (*config).clone().zip(session);
        let state = state.clone();
        let reconnecting = reconnecting.clone();
        use_effect_with(watch.map(Watched), move |watched| {
            let cancelled = Rc::new(Cell::new(false));
            // A new session (renewed, signed in, or none) starts with no failed renewal behind it.
            reconnecting.set(None);
            if let Some(Watched((config, session))) = watched.clone() {
                let cancelled = cancelled.clone();
                let namespace = storage::namespace_of(&config.instance());
                let watcher = renew::keep_alive(
                    config,
                    session,
                    cancelled,
                    move |action| state.dispatch(action),
                    move |status| reconnecting.set(status),
                );
                spawn_local(storage::within(namespace, watcher));
            }
            move || {
                cancelled.set(true);
                // The watcher may be asleep for seconds: wake it to see that it is done.
                crate::browser::wake::notify();
            }
        });
    }

    let handle = AuthHandle {
        state,
        config: (*config).clone(),
        reconnecting: (*reconnecting).clone(),
    };
    // One of config.json's `providers`: listed beside the ones around it, and `use_auth()` keeps the main one.
    let around = use_context::<Providers>();
    match props.config.as_ref().and_then(|config| config.name.clone()) {
        None => html! {
            <ContextProvider<AuthHandle> context={handle}>
                { props.children.clone() }
            </ContextProvider<AuthHandle>>
        },
        Some(name) => {
            let mut listed = around.map(|around| (*around.0).clone()).unwrap_or_default();
            listed.push((name, handle));
            html! {
                <ContextProvider<Providers> context={Providers(Rc::new(listed))}>
                    { props.children.clone() }
                </ContextProvider<Providers>>
            }
        }
    }
}

/// The handles of the named providers (config.json's `providers`) around a component, outermost first.
#[derive(Clone, Default, PartialEq)]
pub struct Providers(Rc<Vec<(String, AuthHandle)>>);

impl Providers {
    /// The handle of the provider named `name`, if one is around.
    pub fn get(&self, name: &str) -> Option<&AuthHandle> {
        self.0
            .iter()
            .find(|(named, _)| named == name)
            .map(|(_, handle)| handle)
    }

    /// Every named provider around, outermost first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AuthHandle)> {
        self.0.iter().map(|(name, handle)| (name.as_str(), handle))
    }
}

/// The named providers around this component ([`AuthProvider`]s whose configuration is an entry of config.json's
/// `providers`); [`use_auth`] is the main one.
///
/// ```no_run
/// # use std::rc::Rc;
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthProvider, auth::use_providers, use_auth};
/// #[function_component(Providers)]
/// fn providers() -> Html {
///     let (main, more) = (use_auth(), use_providers());
///     let workforce = more.get("workforce").cloned();
///     html! { <button onclick={move |_| if let Some(auth) = &workforce { auth.sign_in("/") }}>{ "Staff" }</button> }
/// }
///
/// #[function_component(More)]
/// fn more(props: &yew::html::ChildrenProps) -> Html {
///     // Inside the main AuthProvider, once its configuration is loaded: one AuthProvider per entry.
///     let main = use_auth();
///     let mut inner = props.children.clone();
///     for config in main.config().map(|c| c.providers.clone()).unwrap_or_default().into_iter().rev() {
///         inner = html! { <AuthProvider {config}>{ inner }</AuthProvider> };
///     }
///     inner
/// }
/// ```
#[hook]
pub fn use_providers() -> Providers {
    use_context::<Providers>().unwrap_or_default()
}

/// The configuration and session a watcher runs for, compared by identity.
#[derive(Clone)]
struct Watched((Rc<Config>, Rc<crate::oidc::session::Session>));

impl PartialEq for Watched {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0.0, &other.0.0) && Rc::ptr_eq(&self.0.1, &other.0.1)
    }
}

/// The first thing a page load does once the configuration is known.
async fn start(config: &Config) -> AuthAction {
    let Some(url) = location::current() else {
        return flow::restore(config);
    };
    if flow::is_callback(config, &url) {
        // Whose response it is, by its `state`; without one it is refused here.
        if let Some(state) = state_of(&url) {
            // Another provider's (its `state` is in another instance's namespace): that instance completes it.
            if flow::belongs_elsewhere(&state) {
                return flow::restore(config);
            }
            // A sign-in window's: the tab that opened it completes the sign-in; this one closes.
            if popup::hand_back(&url, &state).await {
                return AuthAction::Redirecting;
            }
        }
        return match flow::complete_sign_in(config, &url).await {
            Ok((session, return_to)) => {
                location::replace_path(&return_to);
                AuthAction::SignedIn(Rc::new(session))
            }
            Err(error) => AuthAction::Failed(error),
        };
    }
    match sign_out::finish_provider_sign_out(config, &url) {
        Some(Ok(reason)) => AuthAction::SignedOut(reason),
        Some(Err(error)) => AuthAction::Failed(error),
        None => flow::restore(config),
    }
}

/// The auth handle of the nearest `AuthProvider`.
///
/// ```no_run
/// # use yew::prelude::*;
/// # use yew_oidc_spa::{AuthState, use_auth};
/// #[function_component(Who)]
/// fn who() -> Html {
///     let auth = use_auth();
///     match auth.state() {
///         AuthState::SignedIn(session) => html! { { &session.display_name } },
///         _ => html! { <button onclick={move |_| auth.sign_in_here()}>{ "Sign in" }</button> },
///     }
/// }
/// ```
#[hook]
pub fn use_auth() -> AuthHandle {
    // Outside a provider there is nothing to sign in with; that is a programming error in the app's
    // component tree, not bad input.
    use_context::<AuthHandle>().expect("use_auth() must be called inside <AuthProvider>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    async fn in_a_sign_in_window_an_instance_whose_response_it_is_not_restores_nothing() {
        use crate::oidc::callback::MAX_PENDING_AGE_SECONDS;

        let config = crate::oidc::testing::config();
        let mut session = crate::oidc::testing::stored_session("rt", "at");
        let now = crate::browser::clock::now();
        (session.obtained_at, session.expires_at) = (now, now + 300);
        storage::clear_all();
        storage::save_session(&session).unwrap();
        assert!(
            matches!(start(&config).await, AuthAction::SignedIn(_)),
            "restored in a tab"
        );
        // The mark a sign-in window finds in its copy of its opener's storage (see `popup::open`).
        let tab = web_sys::window()
            .unwrap()
            .session_storage()
            .unwrap()
            .unwrap();
        let now = crate::browser::clock::now();
        let mark = storage::sign_in_window_key();
        tab.set_item(&mark, &(now - MAX_PENDING_AGE_SECONDS).to_string())
            .unwrap();
        assert!(
            !storage::is_marked_sign_in_window(),
            "a mark lapses with the opener's wait"
        );
        tab.set_item(&mark, &now.to_string()).unwrap();
        assert!(storage::is_marked_sign_in_window());
        let restored = start(&config).await;
        storage::unmark_sign_in_window();
        assert!(
            matches!(restored, AuthAction::SignedOut(SignedOutReason::NoSession)),
            "restored in a sign-in window"
        );
        assert!(
            storage::load_session().found().is_some(),
            "the session is left as it was"
        );
        storage::clear_all();
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn provider_props_compare_the_configuration_by_identity() {
        let props = |config: &Rc<Config>| AuthProviderProps {
            children: Html::default(),
            config: Some(config.clone()),
            on_event: None,
        };
        let config = Rc::new(crate::oidc::testing::config());
        let copy = Rc::new(crate::oidc::testing::config());
        assert!(props(&config) == props(&config));
        // Equal fields, another configuration: compared by identity, never field by field.
        assert!(props(&config) != props(&copy));
        let none = AuthProviderProps {
            children: Html::default(),
            config: None,
            on_event: None,
        };
        assert!(props(&config) != none);
    }
}
