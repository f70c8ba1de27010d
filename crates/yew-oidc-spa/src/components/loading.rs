//! Shown while the configuration loads, a session is restored or a redirect is under way.

use yew::prelude::*;

/// A plain function, not a component: it has no state or hooks, and every component type costs about 1 KB gzip of
/// Yew's lifecycle code in the first load.
pub fn loading(message: &'static str) -> Html {
    html! {
        <section class="card" data-testid="auth-loading" aria-busy="true">
            <p>{ message }</p>
        </section>
    }
}
