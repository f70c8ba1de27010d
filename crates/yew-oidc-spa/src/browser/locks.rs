//! The Web Locks API (`navigator.locks.request`): one holder at a time across every tab of the origin.
//!
//! web-sys only exposes `LockManager` behind an unstable cfg, so the one call we need is bound here.

use std::future::Future;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["navigator", "locks"], js_name = request)]
    fn request_lock(
        name: &str,
        callback: &Closure<dyn FnMut(JsValue) -> Promise>,
    ) -> Result<Promise, JsValue>;
}

/// A promise and the function that resolves it.
fn deferred() -> (Promise, Function) {
    let mut resolve = None;
    let promise = Promise::new(&mut |yes, _no| resolve = Some(yes));
    // The executor runs synchronously inside `new Promise`, so `resolve` is always set.
    (promise, resolve.unwrap_or_else(Function::default))
}

/// Runs `work` while holding the exclusive lock `name`, waiting for other holders first. Where the API is
/// missing (an insecure context, an old browser) `work` runs without a lock.
pub async fn exclusive<T>(name: &str, work: impl Future<Output = T>) -> T {
    let (granted, grant) = deferred();
    let (done, release) = deferred();
    let callback = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock: JsValue| {
        let _ = grant.call0(&JsValue::NULL);
        // The lock is held until this promise settles.
        done.clone()
    });
    let held = request_lock(name, &callback).is_ok() && JsFuture::from(granted).await.is_ok();
    let result = work.await;
    if held {
        let _ = release.call0(&JsValue::NULL);
    }
    drop(callback);
    result
}
