//! Browser test of the app's in-place links (`components::link`): a plain click navigates within the app, a
//! modified click (new tab or window) is left to the browser, as yew-router's `Link` did.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{MouseEvent, MouseEventInit};
use yew::prelude::*;
use yew_oidc_spa::browser::location;
use yew_oidc_spa_demo::app::Route;
use yew_oidc_spa_demo::components::link::link;
use yew_router::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[function_component(ProfileLink)]
fn profile_link() -> Html {
    let navigator = use_navigator();
    link(navigator.as_ref(), Route::Profile, "Profile")
}

#[function_component(Links)]
fn links() -> Html {
    html! { <BrowserRouter><ProfileLink /></BrowserRouter> }
}

#[wasm_bindgen_test]
async fn a_plain_click_navigates_in_place_and_a_modified_click_is_the_browsers() {
    let before = location::current().expect("url");
    let window = web_sys::window().expect("window");
    let document = window.document().expect("document");
    let root = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    yew::Renderer::<Links>::with_root(root.clone()).render();
    // Yew renders from its scheduler: one turn of the event loop.
    TimeoutFuture::new(0).await;
    let anchor = root.query_selector("a").expect("query").expect("a link");
    assert_eq!(anchor.get_attribute("href").as_deref(), Some("/profile"));
    assert_eq!(anchor.text_content().as_deref(), Some("Profile"));

    // Last on the event's path: notes whether the link prevented the browser's own navigation, then prevents it
    // so that the test page stays.
    let prevented_by_link = Rc::new(Cell::new(None));
    let seen = prevented_by_link.clone();
    let last = Closure::<dyn FnMut(MouseEvent)>::new(move |event: MouseEvent| {
        seen.set(Some(event.default_prevented()));
        event.prevent_default();
    });
    window
        .add_event_listener_with_callback("click", last.as_ref().unchecked_ref())
        .expect("listener");
    let click = |ctrl: bool, shift: bool| {
        let init = MouseEventInit::new();
        init.set_bubbles(true);
        init.set_cancelable(true);
        init.set_ctrl_key(ctrl);
        init.set_shift_key(shift);
        let event = MouseEvent::new_with_mouse_event_init_dict("click", &init).expect("event");
        anchor.dispatch_event(&event).expect("dispatch");
        prevented_by_link.take()
    };

    assert_eq!(
        click(true, false),
        Some(false),
        "a ctrl-click is the browser's"
    );
    assert_eq!(
        click(false, true),
        Some(false),
        "a shift-click is the browser's"
    );
    assert_eq!(location::current().expect("url").path(), before.path());
    assert_eq!(
        click(false, false),
        Some(true),
        "a plain click stays in the app"
    );
    assert_eq!(location::current().expect("url").path(), "/profile");

    window
        .remove_event_listener_with_callback("click", last.as_ref().unchecked_ref())
        .expect("listener");
    root.remove();
    assert!(location::replace(&before));
}
