//! Waiting that the world can cut short: a sleep that ends early when the network comes back (`online`), the page
//! becomes visible again, or it is restored from the back-forward cache (`pageshow` with `persisted`), the moments a
//! renewal that waits for the provider should try at once. The listeners are added once per page and never removed
//! (they do nothing but note the event); they replace no handler the app set.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;

#[derive(Default)]
struct Events {
    installed: bool,
    /// How many wake-up events the page has seen.
    count: u64,
    wakers: Vec<Waker>,
}

thread_local! {
    static EVENTS: RefCell<Events> = RefCell::default();
}

/// Whether the browser says it has a network (`navigator.onLine`): `false` is certain, `true` only means a network
/// interface is up.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// Sleeps `millis` milliseconds, or less when a wake-up event comes first; `true` when one did.
pub fn sleep(millis: u32) -> impl Future<Output = bool> {
    install();
    Sleep {
        timer: TimeoutFuture::new(millis),
        seen: EVENTS.with_borrow(|events| events.count),
    }
}

/// A timer that also ends once the event count has moved past `seen`. One future rather than a `select` of two:
/// the combinator's generic code is about as large as this whole module.
struct Sleep {
    timer: TimeoutFuture,
    seen: u64,
}

impl Future for Sleep {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<bool> {
        let woken = EVENTS.with_borrow_mut(|events| {
            if events.count != self.seen {
                return true;
            }
            // One task polls again and again with the same waker: keep one copy, not one per poll.
            if !events
                .wakers
                .iter()
                .any(|known| known.will_wake(context.waker()))
            {
                events.wakers.push(context.waker().clone());
            }
            false
        });
        if woken {
            return Poll::Ready(true);
        }
        Pin::new(&mut self.timer).poll(context).map(|()| false)
    }
}

/// Ends every [`sleep`] under way now, as the events do.
pub fn wake_all() {
    let wakers = EVENTS.with_borrow_mut(|events| {
        events.count += 1;
        std::mem::take(&mut events.wakers)
    });
    wakers.into_iter().for_each(Waker::wake);
}

/// Adds the three listeners, once.
fn install() {
    if EVENTS.with_borrow_mut(|events| std::mem::replace(&mut events.installed, true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let listen = |target: &web_sys::EventTarget, name: &str, wakes: fn(&web_sys::Event) -> bool| {
        let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            if wakes(&event) {
                wake_all();
            }
        });
        let _ = target.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        // Lives as long as the page.
        listener.forget();
    };
    listen(&window, "online", |_| true);
    // From the back-forward cache only: a first load starts its own renewal anyway.
    listen(&window, "pageshow", |event| {
        js_sys::Reflect::get(event, &JsValue::from_str("persisted")).is_ok_and(|p| p.is_truthy())
    });
    if let Some(document) = window.document() {
        listen(&document, "visibilitychange", |_| {
            web_sys::window()
                .and_then(|window| window.document())
                .is_some_and(|document| !document.hidden())
        });
    }
}
