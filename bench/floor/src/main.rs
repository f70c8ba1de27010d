//! Issue 21's floor: the least any Yew app does for the benchmark's boot and reload, with none of the sign-in.
//!
//! Like the reference (`bench/reference/`) and ours, it shows a loading view, reads `config.json` (preloaded by
//! `index.html`) and checks its `issuer` and `client_id`, then shows the signed-out page with `sign-in`, or, when
//! sessionStorage holds a name under `floor:user` (put there by `bench/run.mjs --floor` before its reload), the
//! signed-in page with `user-name`. Built as ours is (the nightly release build, the same wasm-opt flags and CSS),
//! its time is what Yew and WebAssembly cost on these steps before any sign-in code runs.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
enum View {
    Loading,
    SignedOut,
    SignedIn(AttrValue),
    Failed(AttrValue),
}

async fn load() -> Result<View, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str("config.json"))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("config.json: HTTP {}", response.status()).into());
    }
    let config = JsFuture::from(response.json()?).await?;
    for field in ["issuer", "client_id"] {
        let value = js_sys::Reflect::get(&config, &field.into())?
            .as_string()
            .unwrap_or_default();
        if value.is_empty() {
            return Err(format!("config.json: \"{field}\" is required").into());
        }
    }
    let user = window
        .session_storage()?
        .and_then(|storage| storage.get_item("floor:user").ok().flatten());
    Ok(user.map_or(View::SignedOut, |name| View::SignedIn(name.into())))
}

#[function_component(App)]
fn app() -> Html {
    let view = use_state(|| View::Loading);
    {
        let view = view.clone();
        use_effect_with((), move |()| {
            yew::platform::spawn_local(async move {
                let shown = load().await.unwrap_or_else(|err| {
                    View::Failed(
                        err.as_string()
                            .unwrap_or_else(|| "config.json failed".into())
                            .into(),
                    )
                });
                view.set(shown);
            });
        });
    }
    let card = match &*view {
        View::Loading => html! {
            <section class="card" data-testid="auth-loading" aria-busy="true"><p>{ "Loading…" }</p></section>
        },
        View::SignedOut => html! {
            <section class="card">
                <h1>{ "You are signed out" }</h1>
                <div class="actions"><button class="primary" data-testid="sign-in">{ "Sign in" }</button></div>
            </section>
        },
        View::SignedIn(name) => html! {
            <section class="card">
                <h1>{ "Signed in as " }<span data-testid="user-name">{ name.clone() }</span></h1>
                <div class="actions">
                    <button data-testid="sign-out-local">{ "Sign out here" }</button>
                    <button data-testid="sign-out-provider">{ "Sign out everywhere" }</button>
                </div>
            </section>
        },
        View::Failed(message) => html! {
            <section class="card error" data-testid="config-error" role="alert"><p>{ message.clone() }</p></section>
        },
    };
    html! {
        <>
            <header>
                <nav><a href="/">{ "Home" }</a></nav>
                if let View::SignedIn(name) = &*view { <span>{ name.clone() }</span> }
            </header>
            <main>{ card }</main>
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
