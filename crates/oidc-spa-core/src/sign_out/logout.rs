//! Provider sign-out (OpenID Connect RP-Initiated Logout 1.0): the end-session URL (section 2) and the check of the
//! `state` the provider sends back (section 3). Must not clear storage or navigate: the caller clears local tokens
//! first, then sends the browser to the URL.

use thiserror::Error;
use url::Url;

use crate::provider::config::{Config, LogoutDescription};
use crate::provider::discovery::ProviderMetadata;
use crate::secret::{IdToken, State};
use crate::sign_in::authorize::without_params;

/// The parameters this module sets on the end-session endpoint (copies already on it are dropped).
const LOGOUT_PARAMS: &[&str] = &[
    "id_token_hint",
    "post_logout_redirect_uri",
    "client_id",
    "state",
];

/// What the browser strips from the address bar when the provider sends the user back.
pub const LOGOUT_RETURN_PARAMS: &[&str] = &["state"];

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LogoutError {
    /// The provider publishes no `end_session_endpoint`: its session cannot be ended from the app, only ours.
    #[error("the provider does not support signing out from the app (no end_session_endpoint)")]
    NotSupported,
    #[error("the sign-out return has no state")]
    MissingState,
    #[error("the sign-out return repeats `state`")]
    DuplicateState,
    #[error("the sign-out return's state does not match the sign-out request")]
    StateMismatch,
}

/// RP-Initiated Logout 1.0 section 2: a GET to `end_session_endpoint` with `id_token_hint` (RECOMMENDED, so the
/// provider knows whose session to end and may skip its confirmation), `post_logout_redirect_uri` (registered in
/// advance), `client_id` (lets the provider check the redirect URI even if the hint has expired) and `state`
/// ("Opaque value used by the RP to maintain state between the logout request and the callback").
///
/// The ID token then travels in the URL: it reaches the provider's access logs and the browser's history. See
/// [`end_session_form`] for the POST the same section requires providers to accept.
pub fn end_session_url(
    config: &Config,
    metadata: &ProviderMetadata,
    id_token: &IdToken,
    state: &State,
) -> Result<Url, LogoutError> {
    Ok(end_session_form(config, metadata, id_token, state)?.into_url())
}

/// The same request as a form POST (RP-Initiated Logout 1.0 section 2: the OP "MUST support the use of the HTTP
/// GET and POST methods"), whose parameters travel in the body, "serialized using Form Serialization", so the ID
/// token stays out of URLs. Parameters already on the endpoint stay in `action`, minus the ones set here.
///
/// A provider whose sign-out is not RP-Initiated Logout is described by [`Config::logout`]: its endpoint, the name
/// of its return parameter, and which of `id_token_hint`, `client_id` and `state` it takes.
pub fn end_session_form(
    config: &Config,
    metadata: &ProviderMetadata,
    id_token: &IdToken,
    state: &State,
) -> Result<EndSessionForm, LogoutError> {
    let standard = LogoutDescription::rp_initiated;
    let (action, description) = match &config.logout {
        Some(described) => (described.endpoint.clone(), described.clone()),
        None => match &metadata.end_session_endpoint {
            Some(endpoint) => (endpoint.clone(), standard(endpoint.clone())),
            None => return Err(LogoutError::NotSupported),
        },
    };
    let ours = |name: &str| LOGOUT_PARAMS.contains(&name) || name == description.return_param;
    let action = without_params(&action, ours);
    let mut fields = Vec::new();
    if description.id_token_hint {
        fields.push(("id_token_hint".to_owned(), id_token.secret().to_owned()));
    }
    let back = config.post_logout_redirect_uri.to_string();
    fields.push((description.return_param.clone(), back));
    if description.client_id {
        fields.push(("client_id".to_owned(), config.client_id.clone()));
    }
    if description.state {
        fields.push(("state".to_owned(), state.secret().to_owned()));
    }
    Ok(EndSessionForm { action, fields })
}

/// An end-session request to send as a form POST: where, and the form fields in order. `fields` holds the ID
/// token, so `Debug` shows the field names only.
#[derive(Clone, PartialEq, Eq)]
pub struct EndSessionForm {
    pub action: Url,
    pub fields: Vec<(String, String)>,
}

impl EndSessionForm {
    /// The same request as a GET: the fields appended to the action's query.
    pub fn into_url(self) -> Url {
        let mut url = self.action;
        url.query_pairs_mut().extend_pairs(self.fields);
        url
    }
}

impl std::fmt::Debug for EndSessionForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("EndSessionForm")
            .field("action", &self.action.as_str())
            .field("fields", &names)
            .finish()
    }
}

/// RP-Initiated Logout 1.0 section 3: "If the state parameter was included in the logout request, the OP passes
/// this value back to the RP using the state query parameter when redirecting the User Agent back to the RP."
/// The returned value must equal the one we sent, so a forged "you are signed out" redirect is recognized.
pub fn verify_logout_return(url: &Url, expected: &State) -> Result<(), LogoutError> {
    let mut states = url
        .query_pairs()
        .filter(|(name, _)| name == "state")
        .map(|(_, value)| value);
    let state = states.next().ok_or(LogoutError::MissingState)?;
    if states.next().is_some() {
        return Err(LogoutError::DuplicateState);
    }
    if state != expected.secret() {
        return Err(LogoutError::StateMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{config, config_with, metadata};

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn end_session_url_is_exactly_encoded() {
        let mut config = config();
        config.post_logout_redirect_uri =
            Url::parse("https://app.example/signed-out?from=app&x=a b").unwrap();
        config.client_id = "spa client/1".into();
        let url = end_session_url(
            &config,
            &metadata(),
            &IdToken::new("eyJh.eyJz.c2ln".into()),
            &State::new("st+/=&?".into()),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://id.example/realms/demo/protocol/openid-connect/logout\
             ?id_token_hint=eyJh.eyJz.c2ln\
             &post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fsigned-out%3Ffrom%3Dapp%26x%3Da%2520b\
             &client_id=spa+client%2F1\
             &state=st%2B%2F%3D%26%3F"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[3], ("state".to_string(), "st+/=&?".to_string()));
        assert_eq!(
            pairs[2],
            ("client_id".to_string(), "spa client/1".to_string())
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn endpoint_query_is_kept_without_duplicates() {
        let mut metadata = metadata();
        metadata.end_session_endpoint =
            Some(Url::parse("https://id.example/logout?tenant=t&state=old").unwrap());
        let url = end_session_url(
            &config(),
            &metadata,
            &IdToken::new("a.b.c".into()),
            &State::new("s".into()),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://id.example/logout?tenant=t&id_token_hint=a.b.c\
             &post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F&client_id=spa&state=s"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_form_post_keeps_the_id_token_out_of_the_url() {
        let mut tenant = metadata();
        tenant.end_session_endpoint =
            Some(Url::parse("https://id.example/logout?tenant=t&id_token_hint=old").unwrap());
        let form = end_session_form(
            &config(),
            &tenant,
            &IdToken::new("h.c.s".into()),
            &State::new("st".into()),
        )
        .unwrap();
        assert_eq!(form.action.as_str(), "https://id.example/logout?tenant=t");
        let fields: Vec<(&str, &str)> = form
            .fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("id_token_hint", "h.c.s"),
                ("post_logout_redirect_uri", "https://app.example/"),
                ("client_id", "spa"),
                ("state", "st"),
            ]
        );
        let printed = format!("{form:?}");
        assert!(
            !printed.contains("h.c.s") && !printed.contains("\"st\""),
            "{printed}"
        );
        let bare = end_session_form(
            &config(),
            &metadata(),
            &IdToken::new("h.c.s".into()),
            &State::new("st".into()),
        )
        .unwrap();
        assert_eq!(bare.action.query(), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn not_supported_without_end_session_endpoint() {
        let mut metadata = metadata();
        metadata.end_session_endpoint = None;
        let result = end_session_url(
            &config(),
            &metadata,
            &IdToken::new("a.b.c".into()),
            &State::new("s".into()),
        );
        assert_eq!(result, Err(LogoutError::NotSupported));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn logout_return_state_must_match() {
        let expected = State::new("st+/=".into());
        let url = |query: &str| Url::parse(&format!("https://app.example/?{query}")).unwrap();
        assert_eq!(
            verify_logout_return(&url("state=st%2B%2F%3D"), &expected),
            Ok(())
        );
        assert_eq!(
            verify_logout_return(&url(""), &expected),
            Err(LogoutError::MissingState)
        );
        assert_eq!(
            verify_logout_return(&url("state=other"), &expected),
            Err(LogoutError::StateMismatch)
        );
        assert_eq!(
            verify_logout_return(&url("state=st%2B%2F%3D&state=st%2B%2F%3D"), &expected),
            Err(LogoutError::DuplicateState)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn providers_that_sign_out_their_own_way_are_described_not_coded() {
        let configured = |logout: &str| config_with(&format!(r#", "logout": {logout}"#));
        let mut no_end_session = metadata();
        no_end_session.end_session_endpoint = None;
        let (hint, state) = (IdToken::new("h.c.s".into()), State::new("st".into()));

        // Auth0 without RP-Initiated Logout: /v2/logout?client_id&returnTo, no state, no hint.
        let auth0 = configured(
            r#"{"endpoint": "https://tenant.auth0.com/v2/logout", "return_param": "returnTo", "params": ["client_id"]}"#,
        )
        .unwrap();
        let url = end_session_url(&auth0, &no_end_session, &hint, &state).unwrap();
        assert_eq!(
            url.as_str(),
            "https://tenant.auth0.com/v2/logout?returnTo=https%3A%2F%2Fapp.example%2F&client_id=spa"
        );

        // Cognito: /logout?client_id&logout_uri.
        let cognito = configured(
            r#"{"endpoint": "https://d.auth.eu-west-1.amazoncognito.com/logout", "return_param": "logout_uri",
                "params": ["client_id"]}"#,
        )
        .unwrap();
        let url = end_session_url(&cognito, &metadata(), &hint, &state).unwrap();
        let names: Vec<String> = url
            .query_pairs()
            .map(|(name, _)| name.into_owned())
            .collect();
        assert_eq!(names, ["logout_uri", "client_id"]);
        assert!(
            url.as_str()
                .starts_with("https://d.auth.eu-west-1.amazoncognito.com/logout?")
        );

        // Everything asked for, under another return name.
        let all = configured(
            r#"{"endpoint": "https://id.example/bye", "return_param": "back", "params": ["id_token_hint", "client_id", "state"]}"#,
        )
        .unwrap();
        let names: Vec<String> = end_session_url(&all, &metadata(), &hint, &state)
            .unwrap()
            .query_pairs()
            .map(|(name, _)| name.into_owned())
            .collect();
        assert_eq!(names, ["id_token_hint", "back", "client_id", "state"]);

        // Described wrongly: an error naming the field.
        for wrong in [
            r#"{"return_param": "returnTo"}"#,
            r#"{"endpoint": "http://tenant.auth0.com/v2/logout", "return_param": "returnTo"}"#,
            r#"{"endpoint": "https://tenant.auth0.com/v2/logout"}"#,
            r#"{"endpoint": "https://tenant.auth0.com/v2/logout", "return_param": "returnTo", "params": ["nonce"]}"#,
            r#""https://tenant.auth0.com/v2/logout""#,
        ] {
            let error = configured(wrong).unwrap_err();
            assert!(error.to_string().contains("logout"), "{wrong}: {error}");
        }
    }
}
