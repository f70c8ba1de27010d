//! Times as people read them: the local date and time, and how far away it is ("in 59 min", "2 h ago").

use yew::prelude::*;

/// `at` (Unix seconds) in the browser's locale and time zone.
pub fn local_time(at: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

/// How far `at` is from `now`, both Unix seconds, in the largest unit that fits: "in 59 min", "5 s ago", "now".
pub fn relative(at: u64, now: u64) -> String {
    let (distance, future) = if at >= now {
        (at - now, true)
    } else {
        (now - at, false)
    };
    let amount = match distance {
        0 => return "now".to_owned(),
        1..=59 => format!("{distance} s"),
        60..=3_599 => format!("{} min", distance / 60),
        3_600..=86_399 => format!("{} h", distance / 3_600),
        _ => format!("{} d", distance / 86_400),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// `<time>` showing the local date and time of `at` and, after it, the distance from `now` (both Unix seconds). A
/// plain function, not a component: it has no state or hooks, and every component type costs about 1 KB gzip of
/// Yew's lifecycle code in the first load.
pub fn moment(at: u64, now: u64) -> Html {
    html! {
        <time datetime={at.to_string()}>
            { local_time(at) }{ " (" }{ relative(at, now) }{ ")" }
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn distances_read_in_the_largest_unit_that_fits() {
        let now = 1_700_000_000;
        assert_eq!(relative(now, now), "now");
        assert_eq!(relative(now + 5, now), "in 5 s");
        assert_eq!(relative(now + 59 * 60 + 30, now), "in 59 min");
        assert_eq!(relative(now - 2 * 3_600, now), "2 h ago");
        assert_eq!(relative(now + 3 * 86_400, now), "in 3 d");
        assert_eq!(relative(now - 61, now), "1 min ago");
    }
}
