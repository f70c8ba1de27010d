//! Times as people read them: the local date and time, and how far away it is ("in 59 min", "2 h ago").

use yew::prelude::*;

/// `at` (Unix seconds) in the browser's time zone, as `2026-12-02 14:05:09` (ISO 8601's order, which reads the
/// same in every locale). Not `Date.toLocaleString`: its first call builds an `Intl.DateTimeFormat`, 20-130 ms of
/// main thread in headless Chromium (45 ms in the benchmark's default locale), and the signed-in page shows a time
/// on its first render, so that cost sat between the token response and the user's name (bench/trace.mjs). The
/// `Date` getters only need the time zone's offset.
pub fn local_time(at: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
    // Past the year 275760 (an ID token's `exp` has no upper bound) there is no such date; the getters would read 0.
    if date.get_time().is_nan() {
        return "(no such date)".to_owned();
    }
    calendar(
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds(),
    )
}

/// A date and time of day as `YYYY-MM-DD HH:MM:SS` (`month` counted from 1).
fn calendar(year: u32, month: u32, day: u32, hours: u32, minutes: u32, seconds: u32) -> String {
    format!("{year:04}-{month:02}-{day:02} {hours:02}:{minutes:02}:{seconds:02}")
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
    use super::{calendar, relative};

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn times_read_year_first_with_two_digit_fields() {
        assert_eq!(calendar(2026, 12, 2, 14, 5, 9), "2026-12-02 14:05:09");
        assert_eq!(calendar(2027, 1, 31, 0, 0, 0), "2027-01-31 00:00:00");
    }

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

    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    fn a_time_past_the_last_date_there_is_reads_as_none() {
        // JavaScript's dates end 8.64e15 ms after 1970; an ID token's `exp` may lie beyond.
        assert_eq!(super::local_time(10_000_000_000_000), "(no such date)");
        let epoch = super::local_time(0);
        assert!(
            epoch.starts_with("1970-01-01") || epoch.starts_with("1969-12-31"),
            "{epoch}"
        );
    }
}
