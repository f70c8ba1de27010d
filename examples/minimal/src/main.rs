//! The smallest app that signs in with `yew-oidc-spa`: the provider component, one hook, both sign-outs, a guarded
//! section and an API call, and nothing from the crate a dependent could not use. tests/e2e/minimal.spec.mjs runs
//! the seed scenario on its release build.

use yew::prelude::*;
use yew_oidc_spa::{ApiRequest, AuthProvider, AuthState, RequireAuth, use_auth};

#[function_component(Greeting)]
fn greeting() -> Html {
    let auth = use_auth();
    match auth.state() {
        AuthState::SignedIn(session) => {
            let (out, everywhere) = (auth.clone(), auth.clone());
            html! {
                <p>
                    { "Hello, " }<span data-testid="user-name">{ &session.display_name }</span>{ ". " }
                    <button data-testid="sign-out-local" onclick={move |_| out.sign_out()}>{ "Sign out" }</button>
                    <button data-testid="sign-out-provider" onclick={move |_| everywhere.sign_out_at_provider()}>
                        { "Sign out everywhere" }
                    </button>
                </p>
            }
        }
        AuthState::Loading => html! { <p>{ "Loading…" }</p> },
        _ => {
            let auth = auth.clone();
            html! { <button data-testid="sign-in" onclick={move |_| auth.sign_in("/")}>{ "Sign in" }</button> }
        }
    }
}

/// Calls the configured API with the access token; rendered only for a signed-in user.
#[function_component(Orders)]
fn orders() -> Html {
    let auth = use_auth();
    let answer = use_state(String::new);
    let call = {
        let (auth, answer) = (auth.clone(), answer.clone());
        Callback::from(move |_| {
            let (auth, answer) = (auth.clone(), answer.clone());
            // The app's own setting in config.json, beside the library's.
            let url = auth
                .config()
                .and_then(|config| config.setting("api_url")?.as_str()?.parse().ok());
            let Some(url) = url else {
                return answer.set("no api_url in config.json".to_owned());
            };
            yew::platform::spawn_local(async move {
                let text = match auth.fetch(&ApiRequest::get(url)).await {
                    Ok(response) => response.text().await.unwrap_or_default(),
                    Err(error) => error.to_string(),
                };
                answer.set(text);
            });
        })
    };
    html! {
        <section>
            <button data-testid="api-call" onclick={call}>{ "Call the API" }</button>
            <pre data-testid="api-result">{ (*answer).clone() }</pre>
        </section>
    }
}

#[function_component(App)]
fn app() -> Html {
    html! {
        <AuthProvider>
            <h1>{ "Minimal app" }</h1>
            <Greeting />
            <RequireAuth><Orders /></RequireAuth>
        </AuthProvider>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
