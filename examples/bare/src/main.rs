//! A Yew app with no sign-in, built exactly as `examples/minimal` (the same Trunk settings and wasm-opt flags): what
//! the minimal app downloads beyond this is the library's own first-load cost (`scripts/budget.mjs --library`).

use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    let clicks = use_state(|| 0u32);
    let onclick = {
        let clicks = clicks.clone();
        Callback::from(move |_| clicks.set(*clicks + 1))
    };
    html! { <p>{ "Hello" }<button {onclick}>{ *clicks }</button></p> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
