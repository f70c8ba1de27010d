//! Any path the router does not know.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

/// A plain function, not a component: it has no state or hooks, and every component type costs about 1 KB gzip of
/// Yew's lifecycle code in the first load.
pub fn not_found() -> Html {
    html! {
        <section class="card" data-testid="not-found">
            <h1>{ "Page not found" }</h1>
            <Link<Route> to={Route::Home}>{ "Back to the start" }</Link<Route>>
        </section>
    }
}
