//! Waiting that can be cut short. By the world: the network comes back (`online`), the page becomes visible again,
//! or it is restored from the back-forward cache (`pageshow` with `persisted`), the moments a renewal that waits for
//! the provider should try at once. And by the app itself ([`notify`]): a renewal finished, or was asked for. The
//! listeners are added once per page and never removed (they do nothing but note the event); they replace no
//! handler the app set.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;

/// What ended a [`sleep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Its time ran out.
    Timeout,
    /// The network came back or the page became visible again.
    World,
    /// The app called [`notify`].
    App,
}

#[derive(Default)]
struct Events {
    installed: bool,
    /// How many events of the world, and notices of the app, the page has seen.
    world: u64,
    app: u64,
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

/// Sleeps `millis` milliseconds, or less when the world or the app wakes it first.
pub fn sleep(millis: u32) -> impl Future<Output = Wake> {
    install();
    let seen = EVENTS.with_borrow(|events| (events.world, events.app));
    Sleep {
        timer: TimeoutFuture::new(millis),
        seen,
    }
}

/// A timer that also ends once either count has moved past `seen`. One future rather than a `select` of two: the
/// combinator's generic code is about as large as this whole module.
struct Sleep {
    timer: TimeoutFuture,
    seen: (u64, u64),
}

impl Future for Sleep {
    type Output = Wake;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Wake> {
        let woken = EVENTS.with_borrow_mut(|events| {
            if events.world != self.seen.0 {
                return Some(Wake::World);
            }
            if events.app != self.seen.1 {
                return Some(Wake::App);
            }
            // One task polls again and again with the same waker: keep one copy, not one per poll.
            if !events
                .wakers
                .iter()
                .any(|known| known.will_wake(context.waker()))
            {
                events.wakers.push(context.waker().clone());
            }
            None
        });
        match woken {
            Some(wake) => Poll::Ready(wake),
            None => Pin::new(&mut self.timer)
                .poll(context)
                .map(|()| Wake::Timeout),
        }
    }
}

/// Ends every [`sleep`] under way now with [`Wake::App`]: a renewal finished, or was asked for.
pub fn notify() {
    wake_all(|events| events.app += 1);
}

fn wake_all(count: fn(&mut Events)) {
    let wakers = EVENTS.with_borrow_mut(|events| {
        count(events);
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
                wake_all(|events| events.world += 1);
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
