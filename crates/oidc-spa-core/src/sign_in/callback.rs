//! The authorization response at the redirect URI (RFC 6749 4.1.2, OIDC Core 3.1.2.5/3.1.2.6): parsing it from the
//! URL and checking it against the pending sign-in (state, issuer and client, age, RFC 9207 `iss`). Must not read
//! or clear storage, or touch the address bar: the caller looks the record up by state, removes it, and strips
//! [`CALLBACK_PARAMS`] from the address bar before any network call.

use thiserror::Error;
use url::Url;

use crate::provider::config::Config;
use crate::provider::discovery::ProviderMetadata;
use crate::secret::{AuthorizationCode, State};
use crate::sign_in::authorize::PendingSignIn;

/// Query parameters of an authorization response; the browser removes them from the address bar (RFC 9700 4.2.4,
/// 4.3.2) so the code never lingers in history or a `Referer`.
pub const CALLBACK_PARAMS: &[&str] = &[
    "code",
    "state",
    "iss",
    "session_state",
    "error",
    "error_description",
    "error_uri",
];

/// Ten minutes: RFC 6749 4.1.2 recommends that codes live at most that long, so an older pending record can only
/// belong to an abandoned sign-in.
pub const MAX_PENDING_AGE_SECONDS: u64 = 600;
// `CallbackError::Expired` says "10 minutes" as text, not formatted at run time.
const _: () = assert!(MAX_PENDING_AGE_SECONDS == 600);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackResponse {
    Code {
        code: AuthorizationCode,
        state: State,
        iss: Option<String>,
    },
    Error {
        error: String,
        description: Option<String>,
        uri: Option<String>,
        state: Option<State>,
        iss: Option<String>,
    },
}

impl CallbackResponse {
    /// The state to look the pending sign-in up by.
    pub fn state(&self) -> Option<&State> {
        match self {
            CallbackResponse::Code { state, .. } => Some(state),
            CallbackResponse::Error { state, .. } => state.as_ref(),
        }
    }

    fn iss(&self) -> Option<&str> {
        match self {
            CallbackResponse::Code { iss, .. } | CallbackResponse::Error { iss, .. } => {
                iss.as_deref()
            }
        }
    }
}

/// Display never contains the code, the state, or the provider's free-text description (kept as data in
/// [`CallbackError::Provider`] for the UI to show as text).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CallbackError {
    #[error("this address carries no sign-in response")]
    NoResponse,
    #[error("the sign-in response repeats the parameter `{name}`")]
    DuplicateParameter { name: &'static str },
    #[error("the sign-in response carries both a code and an error")]
    CodeAndError,
    #[error("the sign-in response has no code")]
    MissingCode,
    #[error("the sign-in response has no state")]
    MissingState,
    #[error("no sign-in is pending for this response (unknown state, or already used)")]
    UnknownState,
    #[error("the sign-in response's state does not match the pending sign-in")]
    StateMismatch,
    #[error("the pending sign-in was started for another issuer than the configured one")]
    PendingIssuerMismatch,
    #[error("the pending sign-in was started for another client than the configured one")]
    PendingClientMismatch,
    #[error("the pending sign-in was started with another redirect URI than the configured one")]
    PendingRedirectMismatch,
    #[error("the sign-in took longer than 10 minutes; please try again")]
    Expired { age_seconds: u64 },
    #[error(
        "the sign-in response comes from another issuer than the one the request was sent to (RFC 9207)"
    )]
    IssuerMismatch { expected: String, found: String },
    #[error(
        "the sign-in response has no `iss`, and this app's providers share its redirect URI, so it cannot be told \
         from another provider's (RFC 9700 4.4.2): give this provider a redirect_uri of its own in config.json"
    )]
    IssuerNeededToTellProviders,
    #[error("the sign-in response has no `iss` although the provider promises one (RFC 9207)")]
    MissingIssuer,
    #[error("the provider refused the sign-in: {error}")]
    Provider {
        error: String,
        description: Option<String>,
        uri: Option<String>,
    },
}

/// The `state` of the authorization response at `url` (one that parses: see [`parse_callback`]), which says whose
/// it is: the instance, tab or sign-in window that holds the pending sign-in stored under it.
pub fn state_of(url: &Url) -> Option<State> {
    parse_callback(url).ok()?.state().cloned()
}

/// Reads an authorization response from the full redirect URL. A parameter that appears twice is refused:
/// RFC 6749 3.1 says response parameters "MUST NOT be included more than once", so a repeat means tampering.
pub fn parse_callback(url: &Url) -> Result<CallbackResponse, CallbackError> {
    let mut values: [Option<String>; CALLBACK_PARAMS.len()] = Default::default();
    for (name, value) in url.query_pairs() {
        if let Some(index) = CALLBACK_PARAMS.iter().position(|param| *param == name) {
            if values[index].is_some() {
                return Err(CallbackError::DuplicateParameter {
                    name: CALLBACK_PARAMS[index],
                });
            }
            values[index] = Some(value.into_owned());
        }
    }
    let [code, state, iss, _session_state, error, description, uri] = values;

    let non_empty = |value: Option<String>| value.filter(|text| !text.is_empty());
    let state = non_empty(state).map(State::new);

    match (code, error) {
        (None, None) if state.is_none() => Err(CallbackError::NoResponse),
        (Some(_), Some(_)) => Err(CallbackError::CodeAndError),
        // RFC 6749 4.1.2.1: error responses carry `error`, optionally `error_description` and `error_uri`.
        (None, Some(error)) => Ok(CallbackResponse::Error {
            error,
            description,
            uri,
            state,
            iss,
        }),
        (code, None) => {
            let code = non_empty(code).ok_or(CallbackError::MissingCode)?;
            let state = state.ok_or(CallbackError::MissingState)?;
            Ok(CallbackResponse::Code {
                code: AuthorizationCode::new(code),
                state,
                iss,
            })
        }
    }
}

/// Checks the response against the pending sign-in looked up by its state (`None` when there is none, e.g. the
/// record was already used) and returns the code to redeem. The checks run in this order, and every one of them,
/// the issuer check included, also guards error responses, so an attacker cannot inject provider messages.
pub fn verify_callback(
    response: CallbackResponse,
    pending: Option<&PendingSignIn>,
    config: &Config,
    metadata: &ProviderMetadata,
    now: u64,
) -> Result<AuthorizationCode, CallbackError> {
    // RFC 9700 4.7.1: the state binds the response to this browser's request; single use means an already consumed
    // (or never issued) state finds no record (RFC 9700 4.2.4: "invalidated by the client after its first use").
    let pending = pending.ok_or(CallbackError::UnknownState)?;
    if response.state() != Some(&pending.state) {
        return Err(CallbackError::StateMismatch);
    }

    // The record must belong to the issuer and client configured now (oidc-client-ts does the same): a record left
    // by a previous configuration would redeem a code at the wrong token endpoint.
    if pending.issuer != config.issuer {
        return Err(CallbackError::PendingIssuerMismatch);
    }
    if pending.client_id != config.client_id {
        return Err(CallbackError::PendingClientMismatch);
    }
    // RFC 6749 4.1.3: the token request's redirect_uri must be identical to the authorization request's.
    if pending.redirect_uri != config.redirect_uri.as_str() {
        return Err(CallbackError::PendingRedirectMismatch);
    }

    let age_seconds = now.saturating_sub(pending.created_at);
    if age_seconds > MAX_PENDING_AGE_SECONDS {
        return Err(CallbackError::Expired { age_seconds });
    }

    // RFC 9207 2.4: "Clients MUST then decode the value ... and compare the result to the issuer identifier of the
    // authorization server where the authorization request was sent to. This comparison MUST use simple string
    // comparison ... If the value does not match the expected issuer identifier, clients MUST reject the
    // authorization response and MUST NOT proceed with the authorization grant." And: "Clients MUST reject
    // authorization responses without the iss parameter from authorization servers that do support the parameter
    // according to the client's configuration." (Mix-up defense, RFC 9700 4.4.2.)
    match response.iss() {
        Some(found) if found != pending.issuer => {
            return Err(CallbackError::IssuerMismatch {
                expected: pending.issuer.clone(),
                found: found.to_owned(),
            });
        }
        Some(_) => {}
        None if metadata.authorization_response_iss_parameter_supported => {
            return Err(CallbackError::MissingIssuer);
        }
        // RFC 9700 4.4.2: a client of several authorization servers tells their responses apart by `iss` or by a
        // redirect URI of each one's own. With a shared one, a response without `iss` could be another provider's
        // carrying this one's `state` (a mix-up), and its code would go to this provider's token endpoint.
        None if config.shares_redirect_uri => {
            return Err(CallbackError::IssuerNeededToTellProviders);
        }
        None => {}
    }

    match response {
        CallbackResponse::Code { code, .. } => Ok(code),
        CallbackResponse::Error {
            error,
            description,
            uri,
            ..
        } => Err(CallbackError::Provider {
            error,
            description,
            uri,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ISSUER, NOW, config, metadata, pending};

    const STATE: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

    fn url(query: &str) -> Url {
        Url::parse(&format!("https://app.example/callback?{query}")).unwrap()
    }

    fn code_response(iss: Option<&str>) -> CallbackResponse {
        CallbackResponse::Code {
            code: AuthorizationCode::new("the-code".into()),
            state: State::new(STATE.into()),
            iss: iss.map(str::to_owned),
        }
    }

    fn verify(response: CallbackResponse) -> Result<AuthorizationCode, CallbackError> {
        verify_callback(response, Some(&pending()), &config(), &metadata(), NOW + 5)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_a_code_response() {
        let response = parse_callback(&url(&format!(
            "code=abc&state={STATE}&iss=https%3A%2F%2Fid.example%2Frealms%2Fdemo&session_state=x"
        )))
        .unwrap();
        assert_eq!(
            response,
            CallbackResponse::Code {
                code: AuthorizationCode::new("abc".into()),
                state: State::new(STATE.into()),
                iss: Some(ISSUER.into()),
            }
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_state_of_a_response_that_parses() {
        let state = Some(State::new(STATE.into()));
        assert_eq!(state_of(&url(&format!("code=abc&state={STATE}"))), state);
        assert_eq!(
            state_of(&url(&format!("error=access_denied&state={STATE}"))),
            state
        );
        for query in [
            format!("code=abc&state={STATE}&state=other"),
            format!("code=abc&error=x&state={STATE}"),
            format!("state={STATE}"),
            "code=abc".to_owned(),
            "code=abc&state=".to_owned(),
            String::new(),
        ] {
            assert_eq!(state_of(&url(&query)), None, "{query}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_an_error_response() {
        let response = parse_callback(&url(&format!(
            "error=access_denied&error_description=User+said+%3Cno%3E&error_uri=https%3A%2F%2Fid.example%2Fe&state={STATE}"
        )))
        .unwrap();
        assert_eq!(
            response,
            CallbackResponse::Error {
                error: "access_denied".into(),
                description: Some("User said <no>".into()),
                uri: Some("https://id.example/e".into()),
                state: Some(State::new(STATE.into())),
                iss: None,
            }
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn malformed_responses_are_refused() {
        let cases = [
            ("", CallbackError::NoResponse),
            ("foo=bar", CallbackError::NoResponse),
            (
                "code=a&code=b&state=s",
                CallbackError::DuplicateParameter { name: "code" },
            ),
            (
                "code=a&state=s&state=t",
                CallbackError::DuplicateParameter { name: "state" },
            ),
            (
                "code=a&state=s&iss=x&iss=y",
                CallbackError::DuplicateParameter { name: "iss" },
            ),
            (
                "error=x&error=y&state=s",
                CallbackError::DuplicateParameter { name: "error" },
            ),
            (
                "code=a&error=access_denied&state=s",
                CallbackError::CodeAndError,
            ),
            ("state=s", CallbackError::MissingCode),
            ("code=&state=s", CallbackError::MissingCode),
            ("code=a", CallbackError::MissingState),
            ("code=a&state=", CallbackError::MissingState),
        ];
        for (query, expected) in cases {
            assert_eq!(parse_callback(&url(query)), Err(expected), "{query}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accepts_a_matching_response() {
        assert_eq!(
            verify(code_response(Some(ISSUER))).unwrap().secret(),
            "the-code"
        );
        // At exactly ten minutes the record is still good.
        let at_limit = verify_callback(
            code_response(Some(ISSUER)),
            Some(&pending()),
            &config(),
            &metadata(),
            NOW + MAX_PENDING_AGE_SECONDS,
        );
        assert!(at_limit.is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn unknown_or_reused_state_is_refused() {
        // The auth layer removes the record when it reads it, so a replayed response finds none.
        let result = verify_callback(
            code_response(Some(ISSUER)),
            None,
            &config(),
            &metadata(),
            NOW,
        );
        assert_eq!(result, Err(CallbackError::UnknownState));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn state_mismatch_is_refused() {
        let response = CallbackResponse::Code {
            code: AuthorizationCode::new("the-code".into()),
            state: State::new("another-state".into()),
            iss: Some(ISSUER.into()),
        };
        assert_eq!(verify(response), Err(CallbackError::StateMismatch));
        let error_without_state = CallbackResponse::Error {
            error: "access_denied".into(),
            description: None,
            uri: None,
            state: None,
            iss: Some(ISSUER.into()),
        };
        assert_eq!(
            verify(error_without_state),
            Err(CallbackError::StateMismatch)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pending_record_must_belong_to_this_issuer_client_and_redirect() {
        let mut other_issuer = pending();
        other_issuer.issuer = "https://other.example".into();
        let mut other_client = pending();
        other_client.client_id = "other".into();
        let mut other_redirect = pending();
        other_redirect.redirect_uri = "https://app.example/elsewhere".into();
        let check = |record: &PendingSignIn| {
            verify_callback(
                code_response(None),
                Some(record),
                &config(),
                &metadata(),
                NOW,
            )
        };
        assert_eq!(
            check(&other_issuer),
            Err(CallbackError::PendingIssuerMismatch)
        );
        assert_eq!(
            check(&other_client),
            Err(CallbackError::PendingClientMismatch)
        );
        assert_eq!(
            check(&other_redirect),
            Err(CallbackError::PendingRedirectMismatch)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn stale_pending_record_is_refused() {
        let result = verify_callback(
            code_response(Some(ISSUER)),
            Some(&pending()),
            &config(),
            &metadata(),
            NOW + MAX_PENDING_AGE_SECONDS + 1,
        );
        assert_eq!(result, Err(CallbackError::Expired { age_seconds: 601 }));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rfc9207_iss_must_equal_the_issuer() {
        for found in [
            "https://evil.example",
            "https://id.example/realms/demo/",
            "",
        ] {
            assert_eq!(
                verify(code_response(Some(found))),
                Err(CallbackError::IssuerMismatch {
                    expected: ISSUER.into(),
                    found: found.into()
                }),
                "{found}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rfc9207_missing_iss_depends_on_the_metadata() {
        // The fixture's provider advertises authorization_response_iss_parameter_supported.
        assert_eq!(
            verify(code_response(None)),
            Err(CallbackError::MissingIssuer)
        );
        let mut quiet = metadata();
        quiet.authorization_response_iss_parameter_supported = false;
        let result = verify_callback(
            code_response(None),
            Some(&pending()),
            &config(),
            &quiet,
            NOW,
        );
        assert_eq!(result.unwrap().secret(), "the-code");
        // One of several providers of the app on a shared redirect URI: `iss` is what tells their responses apart
        // (RFC 9700 4.4.2), required whatever the metadata says; with it, the response is taken.
        let mut shared = config();
        shared.shares_redirect_uri = true;
        assert_eq!(
            verify_callback(code_response(None), Some(&pending()), &shared, &quiet, NOW),
            Err(CallbackError::IssuerNeededToTellProviders)
        );
        let with_iss = verify_callback(
            code_response(Some(ISSUER)),
            Some(&pending()),
            &shared,
            &quiet,
            NOW,
        );
        assert_eq!(with_iss.unwrap().secret(), "the-code");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn provider_errors_keep_their_description_but_are_checked_first() {
        let error = |iss: Option<&str>| CallbackResponse::Error {
            error: "access_denied".into(),
            description: Some("The user cancelled".into()),
            uri: Some("https://id.example/help".into()),
            state: Some(State::new(STATE.into())),
            iss: iss.map(str::to_owned),
        };
        let result = verify(error(Some(ISSUER)));
        assert_eq!(
            result,
            Err(CallbackError::Provider {
                error: "access_denied".into(),
                description: Some("The user cancelled".into()),
                uri: Some("https://id.example/help".into()),
            })
        );
        let message = result.unwrap_err().to_string();
        assert_eq!(message, "the provider refused the sign-in: access_denied");
        // RFC 9207 applies to error responses too.
        assert!(matches!(
            verify(error(Some("https://evil.example"))),
            Err(CallbackError::IssuerMismatch { .. })
        ));
        assert_eq!(verify(error(None)), Err(CallbackError::MissingIssuer));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn error_messages_never_contain_the_code_or_state() {
        let errors = [
            verify(CallbackResponse::Code {
                code: AuthorizationCode::new("the-code".into()),
                state: State::new("another-state".into()),
                iss: None,
            })
            .unwrap_err(),
            verify_callback(code_response(None), None, &config(), &metadata(), NOW).unwrap_err(),
        ];
        for error in errors {
            let text = error.to_string();
            assert!(
                !text.contains("the-code")
                    && !text.contains("another-state")
                    && !text.contains(STATE)
            );
        }
    }
}
