//! A `BroadcastChannel`: text messages to and from the app's other tabs on this origin.

use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

/// An open channel; closing happens on drop.
pub struct Channel {
    inner: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Channel {
    /// Opens `name` and calls `on_message` with the text of every message another tab posts.
    pub fn open(name: &str, mut on_message: impl FnMut(String) + 'static) -> Option<Channel> {
        let inner = BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                on_message(text);
            }
        });
        inner.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Channel {
            inner,
            _on_message: on_message,
        })
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.inner.set_onmessage(None);
        self.inner.close();
    }
}

/// Posts one message on `name` without listening (e.g. just before leaving the page).
pub fn post_once(name: &str, text: &str) {
    if let Ok(channel) = BroadcastChannel::new(name) {
        let _ = channel.post_message(&JsValue::from_str(text));
        channel.close();
    }
}
