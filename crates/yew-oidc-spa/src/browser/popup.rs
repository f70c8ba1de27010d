//! The sign-in window: opened by the app's tab in the click's user activation, it goes to the provider, comes back
//! to the redirect URI and hands the authorization response to that tab, which completes the sign-in.
//!
//! The response goes back by `postMessage` to the opener, addressed to this origin only and accepted only from the
//! window the tab opened; where a Cross-Origin-Opener-Policy on the provider's pages severed that link, over a
//! BroadcastChannel (same origin by construction). The tab answers on the channel, so the window knows someone took
//! it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Window};

use super::channel::{self, Channel};
use super::storage;

/// What the window says on the channel: the callback URL follows.
const CALLBACK: &str = "callback ";
/// What the tab answers on the channel: the `state` of the response it took follows.
const TAKEN: &str = "taken ";

/// The channel both sides use: the origin's, not an instance's, as the window cannot know which of the app's
/// providers it signs in to until one of them takes the response (the tab only takes its own `state`).
fn channel_name() -> String {
    format!("{}popup", storage::PREFIX)
}

/// The page's own origin (`https://app.example`): the only one a response is sent to or accepted from.
fn own_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// Opens the sign-in window, empty for now (named for this app, so a second click reuses it), marked as one in
/// its copy of this tab's storage. Must be called in the click's own turn, before any `await`, or browsers block
/// it. `None` when the browser blocked it.
pub fn open() -> Option<Window> {
    let window = web_sys::window()?;
    storage::marking_sign_in_window(|| {
        window.open_with_url_and_target_and_features(
            "",
            &storage::scoped("sign-in"),
            "popup,width=520,height=720",
        )
    })
    .ok()
    .flatten()
}

/// Whether this tab is a sign-in window this app opened: its opener link holds, or (where the provider's
/// Cross-Origin-Opener-Policy severed it) its storage carries the mark [`open`] put there. A callback in any other
/// tab (a bookmark, a reload, a forged link) is handed to nobody and waits for nothing.
pub fn is_sign_in_window() -> bool {
    opener().is_some() || storage::is_marked_sign_in_window()
}

/// Sends the sign-in window to `url` (the provider's authorization endpoint). Returns whether it went.
pub fn navigate(window: &Window, url: &url::Url) -> bool {
    window.location().set_href(url.as_str()).is_ok()
}

/// Whether the user (or a severed opener link) closed the window. A window the browser cannot tell about counts
/// as closed.
pub fn is_closed(window: &Window) -> bool {
    window.closed().unwrap_or(true)
}

pub fn close(window: &Window) {
    let _ = window.close();
}

/// The URLs handed back to this tab by the window it opened, collected until taken.
pub struct Inbox {
    received: Rc<RefCell<Vec<String>>>,
    _channel: Option<Channel>,
    on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Inbox {
    /// Listens to `window`'s `postMessage` (from this origin exactly, and from that window only) and to the
    /// channel.
    pub fn listen(window: &Window) -> Inbox {
        let received = Rc::new(RefCell::new(Vec::new()));
        let origin = own_origin();
        let source: JsValue = window.clone().into();
        let on_message = {
            let received = received.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let from_window = event
                    .source()
                    .is_some_and(|sender| js_sys::Object::is(&sender, &source));
                if from_window
                    && origin.as_deref() == Some(event.origin().as_str())
                    && let Some(text) = event.data().as_string()
                {
                    received.borrow_mut().push(text);
                }
            })
        };
        if let Some(own) = web_sys::window() {
            let _ = own
                .add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
        }
        let channel = {
            let received = received.clone();
            Channel::open(&channel_name(), move |text| {
                if let Some(url) = text.strip_prefix(CALLBACK) {
                    received.borrow_mut().push(url.to_owned());
                }
            })
        };
        Inbox {
            received,
            _channel: channel,
            on_message,
        }
    }

    /// What arrived since the last call.
    pub fn take(&self) -> Vec<String> {
        self.received.take()
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        if let Some(own) = web_sys::window() {
            let _ = own.remove_event_listener_with_callback(
                "message",
                self.on_message.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Tells the window that the response with `state` was taken.
pub fn acknowledge(state: &str) {
    channel::post_once(&channel_name(), &format!("{TAKEN}{state}"));
}

/// The window this one was opened by, if the link still holds.
fn opener() -> Option<Window> {
    let opener = web_sys::window()?.opener().ok()?;
    (!opener.is_null() && !opener.is_undefined()).then(|| opener.unchecked_into())
}

/// In the sign-in window: hands `url` (the authorization response) to the tab that opened it, by `postMessage` to
/// this origin while the opener link holds, else on the channel; then waits up to `patience_ms` for that tab to
/// say it took the response with `state`. Returns whether it did.
pub async fn hand_back(url: &str, state: &str, patience_ms: u32) -> bool {
    let taken = Rc::new(Cell::new(false));
    let _answers = {
        let (taken, expected) = (taken.clone(), format!("{TAKEN}{state}"));
        Channel::open(&channel_name(), move |text| {
            if text == expected {
                taken.set(true);
            }
        })
    };
    match (opener(), own_origin()) {
        (Some(opener), Some(origin)) => {
            let _ = opener.post_message(&JsValue::from_str(url), &origin);
        }
        _ => channel::post_once(&channel_name(), &format!("{CALLBACK}{url}")),
    }
    const STEP_MS: u32 = 50;
    for _ in 0..patience_ms / STEP_MS {
        if taken.get() {
            return true;
        }
        TimeoutFuture::new(STEP_MS).await;
    }
    taken.get()
}

/// Closes this window (a window opened by a script may close itself).
pub fn close_self() {
    if let Some(window) = web_sys::window() {
        let _ = window.close();
    }
}
