//! Shown while the configuration loads, a session is restored or a redirect is under way.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    pub message: AttrValue,
}

#[function_component(Loading)]
pub fn loading(props: &LoadingProps) -> Html {
    html! {
        <section class="card" data-testid="auth-loading" aria-busy="true">
            <p>{ &props.message }</p>
        </section>
    }
}
