//! A link to one of the app's routes that navigates in place, as yew-router's `Link` does.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

/// `<a href>` under the router's base path, whose plain click pushes the route instead of loading the page; a
/// modified click (new tab or window, download) is left to the browser. A plain function rather than
/// yew-router's `Link` component: each component type costs about 1 KB gzip of Yew's lifecycle code, and `Link`
/// brought the query and state variants of navigation that the app never uses.
pub fn link(navigator: Option<&Navigator>, to: Route, text: &'static str) -> Html {
    let Some(navigator) = navigator.cloned() else {
        return html! { <a href={to.path()}>{ text }</a> };
    };
    let href = format!("{}{}", navigator.basename().unwrap_or_default(), to.path());
    let onclick = Callback::from(move |event: MouseEvent| {
        if event.meta_key() || event.ctrl_key() || event.shift_key() || event.alt_key() {
            return;
        }
        event.prevent_default();
        navigator.push(&to);
    });
    html! { <a {href} {onclick}>{ text }</a> }
}
