//! The API page: calls the demo API (`api_url` in config.json) with the session's access token through the auth
//! layer's authorized-request helper, and shows what came back.

use yew::prelude::*;

use crate::auth::{ApiRequest, AuthState, use_auth};
use crate::components::{
    auth_error::auth_error_view, loading::loading, sign_in_button::sign_in_button,
    signed_out_notice::signed_out_notice,
};

/// What the last call gave: the response body, or why there is none.
#[derive(Clone, PartialEq)]
enum Outcome {
    Body(String),
    Error(String),
}

#[function_component(Api)]
pub fn api() -> Html {
    let auth = use_auth();
    let outcome = use_state(|| None::<Outcome>);
    let calling = use_state(|| false);
    let url = match auth.config().map(crate::settings::api_url) {
        Some(Ok(Some(url))) => url,
        Some(Err(problem)) => {
            return html! {
                <section class="card">
                    <h1>{ "API" }</h1>
                    <p role="alert" data-testid="api-error">{ problem }</p>
                </section>
            };
        }
        _ => {
            return html! {
                <section class="card">
                    <h1>{ "API" }</h1>
                    <p>{ "Set " }<code>{ "api_url" }</code>{ " in config.json to call an API from here." }</p>
                </section>
            };
        }
    };
    let shown = match &*outcome {
        Some(Outcome::Body(body)) => html! { <pre data-testid="api-result">{ body }</pre> },
        Some(Outcome::Error(error)) => {
            html! { <p class="error" data-testid="api-error" role="alert">{ error }</p> }
        }
        None => html! {},
    };
    let status = match auth.state() {
        AuthState::SignedIn(_) => {
            let call = {
                let (auth, outcome, calling) = (auth.clone(), outcome.clone(), calling.clone());
                let request = ApiRequest::get(url.clone()).header("Accept", "application/json");
                Callback::from(move |_| {
                    let (auth, outcome, calling) = (auth.clone(), outcome.clone(), calling.clone());
                    let request = request.clone();
                    calling.set(true);
                    wasm_bindgen_futures::spawn_local(async move {
                        outcome.set(Some(call_api(&auth, &request).await));
                        calling.set(false);
                    });
                })
            };
            html! {
                <div class="actions">
                    <button data-testid="api-call" onclick={call} disabled={*calling}>
                        { "Call the API" }
                    </button>
                </div>
            }
        }
        AuthState::Failed(error) => auth_error_view(&auth, error),
        AuthState::SignedOut(reason) => html! {
            <>
                { signed_out_notice(*reason) }
                { sign_in_button(&auth, "Sign in to call the API") }
            </>
        },
        _ => loading("Loading…"),
    };
    html! {
        <section class="card">
            <h1>{ "API" }</h1>
            <p>{ "GET " }<code>{ url.as_str() }</code>{ " with the access token." }</p>
            { status }
            { shown }
        </section>
    }
}

async fn call_api(auth: &crate::auth::AuthHandle, request: &ApiRequest) -> Outcome {
    let response = match auth.fetch(request).await {
        Ok(response) => response,
        Err(error) => return Outcome::Error(error.to_string()),
    };
    if !response.ok() {
        return Outcome::Error(format!("the API answered HTTP {}", response.status()));
    }
    match response.text().await {
        Ok(body) => Outcome::Body(body),
        Err(_) => Outcome::Error("the API's answer could not be read".to_owned()),
    }
}
