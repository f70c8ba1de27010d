//! The small, non-blocking line that says a signed-in session is waiting for the provider: the network is down or
//! the provider is failing, the session is kept, and it renews by itself.

use yew::prelude::*;

use crate::auth::AuthHandle;
use crate::components::time::local_time;

/// A plain function, not a component: it keeps no state of its own, and every component type costs about 1 KB gzip
/// of Yew's lifecycle code in the first load. Empty unless the session is [reconnecting](AuthHandle::reconnecting).
pub fn renewal_status(auth: &AuthHandle) -> Html {
    let Some(reconnecting) = auth.reconnecting() else {
        return html! {};
    };
    let (kind, text) = if reconnecting.offline {
        (
            "offline",
            "Offline… You stay signed in; the session renews as soon as the network is back.",
        )
    } else {
        (
            "reconnecting",
            "Reconnecting to the provider… You stay signed in; the session renews as soon as it answers.",
        )
    };
    html! {
        <p class="status" data-testid="renewal-status" data-kind={kind} role="status">
            { text }
            { " Last answer from the provider: " }{ local_time(reconnecting.last_success) }{ "." }
        </p>
    }
}
