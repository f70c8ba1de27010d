//! Any path the router does not know.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::link::link;
use crate::route::Route;

/// A plain function, not a component: it has no state or hooks, and every component type costs about 1 KB gzip of
/// Yew's lifecycle code in the first load.
pub fn not_found(navigator: Option<&Navigator>) -> Html {
    html! {
        <section class="card" data-testid="not-found">
            <h1>{ "Page not found" }</h1>
            { link(navigator, Route::Home, "Back to the start") }
        </section>
    }
}
