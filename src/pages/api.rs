//! The API page: calls the demo API (`api_url` in config.json) with the session's access token through the auth
//! layer's authorized-request helper, and shows what came back. An API that asks for a stronger or more recent
//! sign-in (RFC 9470) gets one: the page signs in again with what the API asked for, comes back here and calls
//! once more by itself; a second challenge is shown, not followed.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{ApiError, ApiRequest, AuthHandle, AuthState, use_auth};
use crate::components::{
    auth_error::auth_error_view, loading::loading, sign_in_button::sign_in_button,
    signed_out_notice::signed_out_notice,
};
use crate::route::Route;

/// What the last call gave: the response body, or why there is none.
#[derive(Clone, PartialEq)]
enum Outcome {
    Body(String),
    Error(String),
    /// Gone to the provider for the sign-in the API asked for.
    SteppingUp,
}

/// The mark on this page's address after a step-up (`/api?step-up`), so that it calls the API once more.
const STEP_UP_MARK: &str = "?step-up";

#[function_component(Api)]
pub fn api() -> Html {
    let auth = use_auth();
    let outcome = use_state(|| None::<Outcome>);
    let calling = use_state(|| false);
    let navigator = use_navigator();
    let stepped_up = use_location().is_some_and(|location| location.query_str() == STEP_UP_MARK);
    let signed_in = matches!(auth.state(), AuthState::SignedIn(_));
    {
        // Back from a step-up, signed in: the call again, once. The mark leaves the address bar first, so a reload
        // does not call again.
        let (auth, outcome, calling) = (auth.clone(), outcome.clone(), calling.clone());
        let url = auth
            .config()
            .and_then(|config| crate::settings::api_url(config).ok().flatten());
        use_effect_with((signed_in, stepped_up), move |&(signed_in, stepped_up)| {
            if let (true, true, Some(url)) = (signed_in, stepped_up, url) {
                if let Some(navigator) = navigator {
                    navigator.replace(&Route::Api);
                }
                start_call(&auth, &outcome, &calling, url, false);
            }
        });
    }
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
        Some(Outcome::SteppingUp) => html! {
            <p data-testid="api-step-up">{ "The API asks for a stronger sign-in: signing in again…" }</p>
        },
        None => html! {},
    };
    let status = match auth.state() {
        AuthState::SignedIn(_) => {
            let call = {
                let (auth, outcome, calling) = (auth.clone(), outcome.clone(), calling.clone());
                let url = url.clone();
                Callback::from(move |_| start_call(&auth, &outcome, &calling, url.clone(), true))
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

/// Calls the API at `url` in the background, `calling` while it runs, and puts what came back in `outcome`.
fn start_call(
    auth: &AuthHandle,
    outcome: &UseStateHandle<Option<Outcome>>,
    calling: &UseStateHandle<bool>,
    url: url::Url,
    step_up: bool,
) {
    let (auth, outcome, calling) = (auth.clone(), outcome.clone(), calling.clone());
    let request = ApiRequest::get(url).header("Accept", "application/json");
    calling.set(true);
    wasm_bindgen_futures::spawn_local(async move {
        outcome.set(Some(call_api(&auth, &request, step_up).await));
        calling.set(false);
    });
}

/// Calls the API; with `step_up`, a step-up challenge starts the sign-in it asks for, else it is shown.
async fn call_api(auth: &AuthHandle, request: &ApiRequest, step_up: bool) -> Outcome {
    let response = match auth.fetch(request).await {
        Ok(response) => response,
        Err(ApiError::StepUp(challenge)) if step_up => {
            auth.step_up(&challenge, &format!("/api{STEP_UP_MARK}"));
            return Outcome::SteppingUp;
        }
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
