//! `/providers`: one panel per provider of config.json (the main one, `main`, and each of its `providers`), each with
//! its own session and the usual controls, so that two providers can be signed in to (and out of) side by side.

use yew::prelude::*;

use super::home::home;
use crate::auth::{AuthHandle, Providers};
use crate::oidc::config::MAIN_PROVIDER;

/// A plain function given the page frame's auth handles, not a component: it keeps no state of its own.
pub fn providers(auth: &AuthHandle, more: &Providers) -> Html {
    let panel = |name: &str, auth: &AuthHandle| {
        let issuer = auth.config().map(|config| config.issuer.clone());
        html! {
            <section class="provider" data-provider={name.to_owned()}>
                <h2>{ name }<small>{ issuer }</small></h2>
                { home(auth) }
            </section>
        }
    };
    html! {
        <>
            { panel(MAIN_PROVIDER, auth) }
            { for more.iter().map(|(name, auth)| panel(name, auth)) }
        </>
    }
}
