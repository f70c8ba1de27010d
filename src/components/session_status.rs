//! The session's lifecycle at a glance: when the access token expires (counting down), whether a refresh
//! token is held, when the last renewal happened, whether the tokens are DPoP-bound, and a button to renew now.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::auth::{self, use_auth};
use crate::components::time::{local_time, relative};
use crate::oidc::config::Dpop;
use crate::oidc::session::Session;

#[derive(Properties)]
pub struct SessionStatusProps {
    pub session: Rc<Session>,
}

impl PartialEq for SessionStatusProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
    }
}

#[function_component(SessionStatus)]
pub fn session_status(props: &SessionStatusProps) -> Html {
    let auth = use_auth();
    let now = use_state(auth::now);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let ticker = Interval::new(1_000, move || now.set(auth::now()));
            move || drop(ticker)
        });
    }
    let session = &props.session;
    let expires_in = session.expires_at.saturating_sub(*now);
    let last_renewal = match session.renewed_at {
        Some(at) => relative(at, *now),
        None => "never".to_owned(),
    };
    let held = session.refresh_token.is_some();
    let bound = session.dpop_key_id.is_some();
    // Asked for, but the provider does not list ES256 in dpop_signing_alg_values_supported (RFC 9449 5.1).
    let dpop_unsupported = !bound
        && auth
            .config()
            .is_some_and(|config| config.dpop == Dpop::IfSupported);
    let refresh = Callback::from(move |_| auth.refresh());
    html! {
        <section class="card">
            <h2>{ "Session" }</h2>
            <dl>
                <dt>{ "Access token expires" }</dt>
                // In words for people, in seconds for scripts (`data-seconds`).
                <dd>
                    <span data-testid="token-expiry" data-seconds={expires_in.to_string()}>
                        { relative(session.expires_at, *now) }
                    </span>
                    { ", at " }<time datetime={session.expires_at.to_string()}>{ local_time(session.expires_at) }</time>
                </dd>
                <dt>{ "Refresh token" }</dt>
                <dd data-testid="refresh-token-held">{ if held { "held" } else { "none" } }</dd>
                <dt>{ "Last renewal" }</dt>
                <dd data-testid="last-renewal">{ last_renewal }</dd>
                <dt>{ "Token binding" }</dt>
                <dd data-testid="token-binding">
                    { if bound { "DPoP: bound to a key this browser cannot export" } else { "Bearer" } }
                </dd>
            </dl>
            if dpop_unsupported {
                <p class="note" data-testid="dpop-note">
                    { "DPoP is off: config.json asks for it if supported, and the provider does not offer ES256 \
                       DPoP proofs (dpop_signing_alg_values_supported), so these are Bearer tokens." }
                </p>
            }
            if held {
                <div class="actions">
                    <button data-testid="refresh" onclick={refresh}>{ "Renew now" }</button>
                </div>
            } else {
                <p>{ "Without a refresh token the session ends when the access token expires." }</p>
            }
        </section>
    }
}
