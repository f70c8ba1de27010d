//! The clock and the random source, the two ambient inputs `crate::oidc` takes as arguments.

/// Seconds since the Unix epoch, from the browser's clock.
pub fn now() -> u64 {
    // `Date.now()` is a non-negative f64 of milliseconds; the cast saturates on nonsense.
    (js_sys::Date::now() / 1000.0) as u64
}

/// Fills `buf` from `crypto.getRandomValues`, the browser's CSPRNG.
///
/// Without a CSPRNG there is no safe `state`, `nonce` or PKCE verifier, so failing to get one is the
/// one case where stopping is right; it cannot happen in any browser that runs WebAssembly.
pub fn random(buf: &mut [u8]) {
    let filled = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .and_then(|crypto| crypto.get_random_values_with_u8_array(buf).ok());
    assert!(filled.is_some(), "crypto.getRandomValues is unavailable");
}
