//! What a failed renewal means for the session, and when to ask again: one table for every answer the token
//! endpoint can give a refresh (RFC 6749 5.2, RFC 9110 15, RFC 9449 5 and 8), and the retry schedule. Pure: statuses,
//! error codes and header values in, a verdict and a number of seconds out. Faults are weather, not verdicts: only
//! the provider's own refusal of the grant ends a session.

/// Never retry, nor renew, sooner than this after the last attempt or the last tokens, whatever the provider's
/// lifetimes: the floor of [`retry_delay`], and the shortest interval between renewals.
pub const MIN_RENEW_INTERVAL_SECONDS: u64 = 5;

/// A failed refresh, in the terms its verdict depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer<'a> {
    /// No HTTP response at all: the network, a timeout, a CORS refusal, an aborted request. The request may have
    /// reached the provider and been processed (a lost answer).
    Lost,
    /// An HTTP status other than 200, with the RFC 6749 5.2 `error` code when the body had one.
    Refusal { status: u16, error: Option<&'a str> },
    /// A 200 whose body is not a token response (a proxy's page, a truncated body): the provider's answer, if it
    /// sent one, never arrived whole.
    Unreadable,
    /// A well-formed token response that breaks a rule of ours (its `token_type`, its ID token's claims): the
    /// provider answered, and asking again gets the same answer.
    Unacceptable,
}

/// What the session does about a failed refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Weather: keep the session and ask again later.
    Transient,
    /// The grant is gone: the provider refused the refresh token. The session ends.
    GrantGone,
    /// The client's registration or configuration is wrong; no retry mends it until someone fixes it.
    Misconfigured,
    /// The provider answered and its answer stands (an unexpected 4xx, a response we must not accept).
    Refused,
}

/// The one classification of a failed refresh. Status first: whatever a 5xx or a 429 says in its body, the server
/// is failing or asking to slow down, not judging the grant.
pub fn classify(answer: Answer<'_>) -> Verdict {
    match answer {
        Answer::Lost | Answer::Unreadable => Verdict::Transient,
        Answer::Unacceptable => Verdict::Refused,
        // RFC 9110 15.6: the server failed; 15.5.9 (408): it gave up waiting for the request; RFC 6585 4 (429): too
        // many requests, come back later.
        Answer::Refusal { status, .. } if status >= 500 || status == 429 || status == 408 => {
            Verdict::Transient
        }
        Answer::Refusal {
            error: Some(error), ..
        } => match error {
            // RFC 6749 4.1.2.1 defines these two for the authorization endpoint; providers send them from the token
            // endpoint as well, with a 400 as often as a 503.
            "temporarily_unavailable" | "server_error" => Verdict::Transient,
            // RFC 9449 8: the provider wants a nonce; the next proof carries the one it sent. RFC 9449 5 and 11:
            // a proof refused for its `iat` (a clock off after a sleep), `jti` or `htu` is mended by a new proof; a
            // refresh token bound to another key is `invalid_grant`.
            "use_dpop_nonce" | "invalid_dpop_proof" => Verdict::Transient,
            // RFC 6749 5.2: "the provided authorization grant ... or refresh token is invalid, expired, revoked".
            "invalid_grant" => Verdict::GrantGone,
            // RFC 6749 5.2: the client is not who the provider knows, or may not use this grant.
            "invalid_client" | "unauthorized_client" | "unsupported_grant_type" => {
                Verdict::Misconfigured
            }
            _ => Verdict::Refused,
        },
        // RFC 6749 5.2 refusals are JSON with an `error`. A bare 400 or 401 is still the token endpoint's no; any
        // other status without one is most likely not the provider speaking (a WAF's 403, a CDN's 404 page while
        // the provider deploys): weather, not a verdict on the grant.
        Answer::Refusal {
            status: 400 | 401,
            error: None,
        } => Verdict::Refused,
        Answer::Refusal { error: None, .. } => Verdict::Transient,
    }
}

/// The longest wait between two attempts, and the most of a `Retry-After` that is honoured: a provider (or a
/// hostile proxy) asking for an hour must not leave the session unrenewed for that long.
pub const MAX_RETRY_DELAY_SECONDS: u64 = 300;

/// Seconds to wait after failed attempt number `attempt` (0 for the first failure) before the next one.
///
/// The first retry comes at the floor, [`MIN_RENEW_INTERVAL_SECONDS`]: a refresh whose answer was lost may have
/// rotated the refresh token at the provider, and presenting the old one again is safe only inside the reuse grace
/// window some providers keep (RFC 9700 4.14.2; Okta's defaults to 30 s), so it is tried again soon rather than
/// late. After that the wait doubles up to [`MAX_RETRY_DELAY_SECONDS`], with jitter (a random point in the upper
/// half, `random` any value) so that many clients failing together do not come back together; a `Retry-After`
/// (RFC 9110 10.2.3) lengthens it, up to the same maximum. Never under the floor.
pub fn retry_delay(attempt: u32, retry_after: Option<u64>, random: u32) -> u64 {
    let floor = MIN_RENEW_INTERVAL_SECONDS;
    let base = floor
        .checked_shl(attempt)
        .filter(|base| *base >> attempt == floor)
        .unwrap_or(u64::MAX)
        .min(MAX_RETRY_DELAY_SECONDS);
    let low = (base / 2).max(floor);
    let jittered = low + u64::from(random) % (base - low + 1);
    retry_after.map_or(jittered, |asked| {
        jittered.max(asked.min(MAX_RETRY_DELAY_SECONDS))
    })
}

/// A `Retry-After` header's delay in seconds (RFC 9110 10.2.3: `delay-seconds = 1*DIGIT`). The HTTP-date form is
/// not read (the backoff applies instead): token endpoints and their gateways send seconds.
pub fn parse_retry_after(value: &[u8]) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Digits only: the one failure left is overflow, which asks for longer than any cap.
    Some(std::str::from_utf8(value).ok()?.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_answer_has_one_verdict() {
        use Answer::{Lost, Refusal, Unacceptable, Unreadable};
        use Verdict::{GrantGone, Misconfigured, Refused, Transient};
        let refusal = |status, error| Refusal { status, error };
        let table: &[(Answer, Verdict)] = &[
            // The network: no answer, or not a whole one.
            (Lost, Transient),
            (Unreadable, Transient),
            // Any 5xx or 429, with or without an OAuth body, whatever the body says.
            (refusal(500, None), Transient),
            (refusal(502, None), Transient),
            (refusal(503, None), Transient),
            (refusal(504, None), Transient),
            (refusal(503, Some("temporarily_unavailable")), Transient),
            (refusal(500, Some("server_error")), Transient),
            (refusal(503, Some("invalid_grant")), Transient),
            (refusal(429, None), Transient),
            (refusal(429, Some("slow_down")), Transient),
            (refusal(429, Some("invalid_grant")), Transient),
            (refusal(408, None), Transient),
            // The temporary codes with a 4xx status, and a DPoP nonce challenge.
            (refusal(400, Some("temporarily_unavailable")), Transient),
            (refusal(400, Some("server_error")), Transient),
            (refusal(400, Some("use_dpop_nonce")), Transient),
            (refusal(400, Some("invalid_dpop_proof")), Transient),
            (refusal(401, Some("invalid_dpop_proof")), Transient),
            // A status without an RFC 6749 5.2 body, but a bare 400 or 401: not the provider's verdict.
            (refusal(403, None), Transient),
            (refusal(404, None), Transient),
            (refusal(201, None), Transient),
            // The grant is gone.
            (refusal(400, Some("invalid_grant")), GrantGone),
            (refusal(401, Some("invalid_grant")), GrantGone),
            // The client's configuration.
            (refusal(401, Some("invalid_client")), Misconfigured),
            (refusal(400, Some("invalid_client")), Misconfigured),
            (refusal(400, Some("unauthorized_client")), Misconfigured),
            (refusal(400, Some("unsupported_grant_type")), Misconfigured),
            // Any other answer of the provider's stands.
            (refusal(400, Some("invalid_request")), Refused),
            (refusal(400, Some("invalid_scope")), Refused),
            (refusal(400, Some("something_new")), Refused),
            (refusal(400, None), Refused),
            (refusal(401, None), Refused),
            (refusal(403, Some("access_denied")), Refused),
            (Unacceptable, Refused),
        ];
        for &(answer, verdict) in table {
            assert_eq!(classify(answer), verdict, "{answer:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_first_retry_comes_at_the_floor_then_the_wait_doubles_with_jitter_up_to_the_cap() {
        let floor = MIN_RENEW_INTERVAL_SECONDS;
        // A lost answer is asked again soon, inside typical reuse-grace windows.
        for random in [0, 1, 7, u32::MAX] {
            assert_eq!(retry_delay(0, None, random), floor);
        }
        // Without jitter (random 0) the lower bound, half the doubled wait; with the most jitter, all of it.
        let lowest: Vec<u64> = (1..9).map(|n| retry_delay(n, None, 0)).collect();
        assert_eq!(lowest, [5, 10, 20, 40, 80, 150, 150, 150]);
        let highest: Vec<u64> = (1..9)
            .map(|n| {
                let base = (floor << n).min(MAX_RETRY_DELAY_SECONDS);
                retry_delay(n, None, (base - (base / 2).max(floor)) as u32)
            })
            .collect();
        assert_eq!(highest, [10, 20, 40, 80, 160, 300, 300, 300]);
        // Every delay stays within [floor, cap], whatever the attempt and the random value.
        for attempt in [0, 1, 2, 10, 63, 64, 65, 200, u32::MAX] {
            for random in [0, 3, 1_000, u32::MAX / 2, u32::MAX] {
                let delay = retry_delay(attempt, None, random);
                assert!(
                    (floor..=MAX_RETRY_DELAY_SECONDS).contains(&delay),
                    "{attempt} {random}: {delay}"
                );
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn retry_after_lengthens_the_wait_up_to_the_cap_and_never_shortens_it() {
        assert_eq!(retry_delay(0, Some(7), 0), 7);
        assert_eq!(retry_delay(0, Some(1), 0), MIN_RENEW_INTERVAL_SECONDS);
        assert_eq!(retry_delay(3, Some(2), 0), 20);
        assert_eq!(retry_delay(0, Some(3_600), 0), MAX_RETRY_DELAY_SECONDS);
        assert_eq!(retry_delay(0, Some(u64::MAX), 0), MAX_RETRY_DELAY_SECONDS);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn retry_after_is_read_as_delay_seconds_only() {
        assert_eq!(parse_retry_after(b"7"), Some(7));
        assert_eq!(parse_retry_after(b" 120 "), Some(120));
        assert_eq!(parse_retry_after(b"0"), Some(0));
        assert_eq!(
            parse_retry_after(b"99999999999999999999999"),
            Some(u64::MAX)
        );
        for refused in [
            &b""[..],
            b" ",
            b"-1",
            b"1.5",
            b"+3",
            b"7s",
            b"Wed, 21 Oct 2015 07:28:00 GMT",
        ] {
            assert_eq!(parse_retry_after(refused), None, "{refused:?}");
        }
    }
}
