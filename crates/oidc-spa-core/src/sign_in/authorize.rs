//! The authorization request (OIDC Core 3.1.2.1 with PKCE, RFC 7636 4.3) and the pending sign-in record it leaves
//! behind; also the same-origin check for the return-to path. Must not store the record, navigate or read the
//! clock: the caller persists `pending` (keyed by its state) and sends the browser to `url`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::provider::config::{AuthorizationParams, Config};
use crate::provider::discovery::ProviderMetadata;
use crate::secret::{Nonce, PkceVerifier, State};
use crate::sender::dpop::{PublicJwk, jkt};
use crate::sign_in::pkce::{CODE_CHALLENGE_METHOD, code_challenge_s256};
use crate::stored::{FromJson, list, number, text};

/// The parameters this module sets; any copy already on the authorization endpoint's URL is dropped so none is
/// sent twice (RFC 6749 3.1: "Request and response parameters MUST NOT be included more than once").
const REQUEST_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    // Only ever the configured value: the callback's auth_time check (OIDC Core 3.1.3.7 step 13) relies on it.
    "max_age",
];

/// Longest return-to path kept; anything longer falls back to "/" rather than bloating storage.
const MAX_RETURN_PATH: usize = 2048;

/// Everything the callback needs to finish this sign-in. Single use: the auth layer stores it under its `state`
/// and removes it when the callback reads it (RFC 9700 4.7.1, 4.2.4). Read back member by member (see the
/// `Deserialize` impl and `crate::stored`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingSignIn {
    pub state: State,
    pub nonce: Nonce,
    pub verifier: PkceVerifier,
    /// The issuer the request went to: the callback's `iss` is compared with it (RFC 9207 2.4; RFC 9700 4.4.2).
    pub issuer: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// A same-origin path from [`safe_return_path`].
    pub return_to: String,
    /// Unix seconds; the callback refuses records older than ten minutes.
    pub created_at: u64,
    /// The `max_age` sent, if any: the ID token's `auth_time` is then required and checked (OIDC Core 3.1.3.7 (13)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// The id of the DPoP key the code is bound to (RFC 9449 10), whose proofs the token request must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key_id: Option<String>,
    /// The ACR values requested as essential (OIDC Core 5.5.1.1), if any: the ID token's `acr` must be one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<Vec<String>>,
}

/// As a derive would: every member without a default required, each of its type (`null` taken as absent).
impl<'de> Deserialize<'de> for PendingSignIn {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let Value::Object(mut members) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("a pending sign-in is an object"));
        };
        PendingSignIn::from_members(&mut members).map_err(D::Error::custom)
    }
}

impl FromJson for PendingSignIn {
    fn from_json(value: Value) -> Option<Self> {
        let Value::Object(mut members) = value else {
            return None;
        };
        PendingSignIn::from_members(&mut members).ok()
    }
}

impl PendingSignIn {
    fn from_members(members: &mut Map<String, Value>) -> Result<PendingSignIn, &'static str> {
        let mut required = |name| text(members, name)?.ok_or(name);
        Ok(PendingSignIn {
            state: State::new(required("state")?),
            nonce: Nonce::new(required("nonce")?),
            verifier: PkceVerifier::new(required("verifier")?),
            issuer: required("issuer")?,
            client_id: required("client_id")?,
            redirect_uri: required("redirect_uri")?,
            return_to: required("return_to")?,
            created_at: number(members, "created_at")?.ok_or("created_at")?,
            max_age: number(members, "max_age")?,
            dpop_key_id: text(members, "dpop_key_id")?,
            acr_values: list(members, "acr_values", |value| match value {
                Value::String(text) => Some(text),
                _ => None,
            })?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The authorization endpoint with every parameter: where the browser goes unless the request is pushed.
    pub url: Url,
    /// The request's own parameters, in order (those on `url` minus the endpoint's own query): the form of a
    /// pushed authorization request (RFC 9126 2.1).
    pub params: Vec<(String, String)>,
    pub pending: PendingSignIn,
}

/// Builds the authorization URL for the code flow with PKCE, with the configuration's extra parameters
/// ([`Config::params`]). `random` is called three times, for the state, the nonce and the verifier, in that order,
/// 32 octets each.
pub fn authorization_request(
    config: &Config,
    metadata: &ProviderMetadata,
    return_to: &str,
    now: u64,
    random: &mut dyn FnMut(&mut [u8]),
) -> AuthorizationRequest {
    authorization_request_with(config, &config.params, metadata, return_to, now, random)
}

/// [`authorization_request`] with `params` (for example the configuration's, overridden for one sign-in) instead of
/// the configuration's.
pub fn authorization_request_with(
    config: &Config,
    params: &AuthorizationParams,
    metadata: &ProviderMetadata,
    return_to: &str,
    now: u64,
    random: &mut dyn FnMut(&mut [u8]),
) -> AuthorizationRequest {
    let state = State::generate(random);
    let nonce = Nonce::generate(random);
    // RFC 7636 4.1: a fresh verifier for every request (RFC 9700 2.1.1).
    let verifier = PkceVerifier::generate(random);
    let challenge = code_challenge_s256(&verifier);

    let extra = params.pairs();
    let ours = [
        // RFC 9700 2.1.2: code flow only, never the implicit `token`/`id_token` response types.
        ("response_type", "code"),
        ("client_id", &config.client_id),
        ("redirect_uri", config.redirect_uri.as_str()),
        ("scope", &config.scope),
        ("state", state.secret()),
        ("nonce", nonce.secret()),
        // RFC 7636 4.3: the challenge and its method go with the authorization request.
        ("code_challenge", &challenge),
        ("code_challenge_method", CODE_CHALLENGE_METHOD),
    ];
    let own: Vec<(String, String)> = (ours.iter())
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        // RFC 8707 2, OIDC Core 3.1.2.1 and Auth0's `audience`: only what is configured.
        .chain(
            extra
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        )
        .collect();
    let url = endpoint_with(
        &metadata.authorization_endpoint,
        |name| REQUEST_PARAMS.contains(&name) || own.iter().any(|(ours, _)| ours == name),
        &own,
    );

    AuthorizationRequest {
        url,
        params: own,
        pending: PendingSignIn {
            state,
            nonce,
            verifier,
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            redirect_uri: config.redirect_uri.as_str().to_owned(),
            return_to: safe_return_path(return_to),
            created_at: now,
            max_age: params.max_age,
            dpop_key_id: None,
            acr_values: params.essential_acr(),
        },
    }
}

/// `endpoint` with `params` added to its query. OIDC Core 3.1.2.1 / RFC 6749 3.1: the endpoint "MAY include an
/// application/x-www-form-urlencoded formatted query component, which MUST be retained when adding additional query
/// parameters"; a parameter of its own that `replaced` names is dropped, so that none is sent twice ("Request and
/// response parameters MUST NOT be included more than once").
pub(crate) fn endpoint_with<'p>(
    endpoint: &Url,
    replaced: impl Fn(&str) -> bool,
    params: impl IntoIterator<Item = &'p (String, String)>,
) -> Url {
    let mut url = without_params(endpoint, replaced);
    url.query_pairs_mut().extend_pairs(params);
    url
}

/// `url` without the query parameters `dropped` names; everything else (path, other parameters in order, fragment)
/// is kept, and a query left empty goes entirely. For an endpoint's own query before the app adds its parameters,
/// and for the address bar after a callback (`code` and `state` out of it).
pub fn without_params(url: &Url, dropped: impl Fn(&str) -> bool) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !dropped(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut clean = url.clone();
    clean.set_query(None);
    if !kept.is_empty() {
        clean.query_pairs_mut().extend_pairs(kept);
    }
    clean
}

/// The path to go back to after sign-in, or "/" when `candidate` could lead off this origin. RFC 9700 4.11.1: a
/// client must not become an open redirector, so only an origin-relative path is kept. A safe path keeps its query
/// and fragment. Two independent checks, each tested on its own: the path's shape, then where it resolves to.
pub fn safe_return_path(candidate: &str) -> String {
    if has_safe_shape(candidate) && stays_on_origin(candidate) {
        candidate.to_owned()
    } else {
        "/".to_string()
    }
}

/// One leading `/` and not `//` or `/\` (both mean "another host" to browsers, which read `\` as `/`), no
/// backslash anywhere, no control characters (URL parsers drop tabs and newlines, turning `/\t/evil` into
/// `//evil`), not absurdly long. A scheme (`https:`, `javascript:`) cannot start with `/`.
fn has_safe_shape(candidate: &str) -> bool {
    candidate.len() <= MAX_RETURN_PATH
        && candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.contains('\\')
        && !candidate.chars().any(char::is_control)
}

/// Belt and braces: resolved against an origin the way a browser would, the path must stay on that origin.
fn stays_on_origin(candidate: &str) -> bool {
    let Ok(origin) = Url::parse("https://origin.invalid/") else {
        return false;
    };
    origin
        .join(candidate)
        .is_ok_and(|resolved| resolved.origin() == origin.origin())
}

/// RFC 9449 10: binds the authorization code to the key before the user leaves: `dpop_jkt` (the key's thumbprint)
/// on the authorization request, so a code stolen on the way back is useless without the key; and the key's id in
/// the pending record, so the callback proves possession with that same key.
pub fn bind_dpop(request: &mut AuthorizationRequest, key_id: &str, jwk: &PublicJwk) {
    let thumbprint = jkt(jwk);
    request
        .url
        .query_pairs_mut()
        .append_pair("dpop_jkt", &thumbprint);
    request.params.push(("dpop_jkt".to_owned(), thumbprint));
    request.pending.dpop_key_id = Some(key_id.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CLIENT_ID, ISSUER, NOW, config, counting_random, metadata};

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn exact_authorization_url() {
        let request = authorization_request(
            &config(),
            &metadata(),
            "/account?tab=2#top",
            NOW,
            &mut counting_random(),
        );
        // state = 32 × 0x01, nonce = 32 × 0x02, verifier = 32 × 0x03 (see `counting_random`).
        assert_eq!(
            request.url.as_str(),
            "https://id.example/realms/demo/protocol/openid-connect/auth\
             ?response_type=code\
             &client_id=spa\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcallback\
             &scope=openid+profile+email\
             &state=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\
             &nonce=AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI\
             &code_challenge=g77gcvvTQj90gfwWOCFjatjPtz-u8N0FgfOXnqDHMbk\
             &code_challenge_method=S256"
        );
        let pending = &request.pending;
        assert_eq!(
            pending.state.secret(),
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
        );
        assert_eq!(
            pending.nonce.secret(),
            "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
        );
        assert_eq!(
            pending.verifier.secret(),
            "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM"
        );
        assert_eq!(pending.verifier.secret().len(), 43);
        assert_eq!(
            code_challenge_s256(&pending.verifier),
            "g77gcvvTQj90gfwWOCFjatjPtz-u8N0FgfOXnqDHMbk"
        );
        assert_eq!(pending.issuer, ISSUER);
        assert_eq!(pending.client_id, CLIENT_ID);
        assert_eq!(pending.redirect_uri, "https://app.example/callback");
        assert_eq!(pending.return_to, "/account?tab=2#top");
        assert_eq!(pending.created_at, NOW);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn endpoint_query_is_kept_and_never_duplicates_our_parameters() {
        let mut metadata = metadata();
        metadata.authorization_endpoint =
            Url::parse("https://id.example/authorize?tenant=t1&client_id=other&state=old").unwrap();
        let request = authorization_request(&config(), &metadata, "/", NOW, &mut counting_random());
        let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("tenant".into(), "t1".into()));
        let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "tenant",
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method"
            ]
        );
        assert!(pairs.contains(&("client_id".into(), "spa".into())));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn extra_parameters_are_sent_once_each_and_max_age_is_remembered() {
        let mut metadata = metadata();
        metadata.authorization_endpoint =
            Url::parse("https://id.example/authorize?audience=old&keep=1").unwrap();
        let mut config = config();
        config.params = AuthorizationParams {
            audience: Some("https://api.example".into()),
            resource: vec![
                "https://api.example/".into(),
                "https://other.example/".into(),
            ],
            prompt: Some("login".into()),
            max_age: Some(300),
            ..AuthorizationParams::default()
        };
        let request = authorization_request(&config, &metadata, "/", NOW, &mut counting_random());
        let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let values = |name: &str| -> Vec<&str> {
            pairs
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(values("audience"), ["https://api.example"]);
        assert_eq!(
            values("resource"),
            ["https://api.example/", "https://other.example/"]
        );
        assert_eq!(values("prompt"), ["login"]);
        assert_eq!(values("max_age"), ["300"]);
        assert_eq!(values("keep"), ["1"]);
        assert!(values("login_hint").is_empty() && values("ui_locales").is_empty());
        assert_eq!(request.pending.max_age, Some(300));

        // One sign-in may override: its fields win, the rest stay.
        let overrides = AuthorizationParams {
            login_hint: Some("alice".into()),
            max_age: Some(0),
            ..AuthorizationParams::default()
        };
        let merged = config.params.overridden_by(&overrides);
        let request = authorization_request_with(
            &config,
            &merged,
            &metadata,
            "/",
            NOW,
            &mut counting_random(),
        );
        let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("login_hint".into(), "alice".into())));
        assert!(pairs.contains(&("audience".into(), "https://api.example".into())));
        assert!(pairs.contains(&("max_age".into(), "0".into())));
        assert_eq!(request.pending.max_age, Some(0));

        // Nothing configured: nothing extra.
        let (config, metadata) = (crate::testing::config(), crate::testing::metadata());
        let plain = authorization_request(&config, &metadata, "/", NOW, &mut counting_random());
        assert_eq!(plain.pending.max_age, None);
        assert!(
            !plain
                .url
                .query_pairs()
                .any(|(name, _)| name == "max_age" || name == "audience")
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn each_request_gets_fresh_secrets() {
        let mut counter = 0u8;
        let mut random = |buf: &mut [u8]| {
            counter = counter.wrapping_add(1);
            buf.fill(counter);
        };
        let first = authorization_request(&config(), &metadata(), "/", NOW, &mut random);
        let second = authorization_request(&config(), &metadata(), "/", NOW, &mut random);
        assert_ne!(first.pending.state, second.pending.state);
        assert_ne!(first.pending.nonce, second.pending.nonce);
        assert_ne!(first.pending.verifier, second.pending.verifier);
        assert_ne!(first.pending.state.secret(), first.pending.nonce.secret());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_stored_pending_record_needs_what_a_derive_needed() {
        let mut pending =
            authorization_request(&config(), &metadata(), "/x", NOW, &mut counting_random())
                .pending;
        pending.max_age = Some(300);
        pending.dpop_key_id = Some("key".into());
        let stored = serde_json::to_value(&pending).unwrap();
        let read =
            |value: &Value| serde_json::from_slice::<PendingSignIn>(value.to_string().as_bytes());
        assert_eq!(read(&stored).unwrap(), pending);
        let required = [
            "state",
            "nonce",
            "verifier",
            "issuer",
            "client_id",
            "redirect_uri",
            "return_to",
            "created_at",
        ];
        for member in required {
            let mut missing = stored.clone();
            missing.as_object_mut().unwrap().remove(member);
            assert!(read(&missing).is_err(), "without {member}");
        }
        let wrong = [
            ("state", serde_json::json!(1)),
            ("created_at", serde_json::json!("now")),
            ("created_at", serde_json::json!(-5)),
            ("max_age", serde_json::json!(1.5)),
            ("dpop_key_id", serde_json::json!({})),
        ];
        for (member, value) in wrong {
            let mut broken = stored.clone();
            broken[member] = value;
            assert!(read(&broken).is_err(), "{member}");
        }
        assert!(read(&serde_json::json!("pending")).is_err());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_step_up_asks_for_its_acr_values_as_essential_and_remembers_them() {
        use crate::sender::resource::StepUp;
        let challenge = StepUp {
            acr_values: Some("urn:test:mfa urn:test:hwk".into()),
            max_age: Some(0),
        };
        let mut config = config();
        config.params.audience = Some("https://api.example".into());
        let params = config
            .params
            .overridden_by(&AuthorizationParams::step_up(&challenge));
        let request = authorization_request_with(
            &config,
            &params,
            &metadata(),
            "/api",
            NOW,
            &mut counting_random(),
        );
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let value = |name: &str| {
            query
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            value("acr_values"),
            None,
            "essential: the claims parameter alone"
        );
        assert_eq!(value("max_age"), Some("0"));
        assert_eq!(
            value("audience"),
            Some("https://api.example"),
            "the configuration's other parameters stay"
        );
        let claims: Value =
            serde_json::from_str(value("claims").expect("the claims parameter")).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({ "id_token": { "acr": { "essential": true, "values": ["urn:test:mfa", "urn:test:hwk"] } } })
        );
        assert_eq!(
            request.pending.acr_values.as_deref(),
            Some(&["urn:test:mfa".to_owned(), "urn:test:hwk".to_owned()][..])
        );
        assert_eq!(request.pending.max_age, Some(0));
        let stored = serde_json::to_string(&request.pending).unwrap();
        assert_eq!(
            serde_json::from_str::<PendingSignIn>(&stored).unwrap(),
            request.pending
        );

        // Voluntary acr_values (the configuration's): no claims parameter, nothing to check.
        config.params.acr_values = Some("urn:test:pwd".into());
        let request = authorization_request(&config, &metadata(), "/", NOW, &mut counting_random());
        assert!(!request.url.query_pairs().any(|(name, _)| name == "claims"));
        assert_eq!(request.pending.acr_values, None);
        // A challenge with max_age only asks for nothing essential.
        let fresh = AuthorizationParams::step_up(&StepUp {
            acr_values: None,
            max_age: Some(60),
        });
        assert_eq!(fresh.essential_acr(), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pending_record_round_trips_through_json() {
        let request =
            authorization_request(&config(), &metadata(), "/x", NOW, &mut counting_random());
        let stored = serde_json::to_string(&request.pending).unwrap();
        let back: PendingSignIn = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, request.pending);
        // Debug never prints the secrets.
        let debug = format!("{:?}", request.pending);
        assert!(
            !debug.contains(request.pending.verifier.secret()),
            "{debug}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn safe_return_path_keeps_same_origin_paths() {
        for path in [
            "/",
            "/account",
            "/a/b?c=d&e=/f#g",
            "/search?q=http://x",
            "/caf%C3%A9",
        ] {
            assert_eq!(safe_return_path(path), path);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn safe_return_path_refuses_everything_else() {
        let long = format!("/{}", "a".repeat(MAX_RETURN_PATH));
        for path in [
            "",
            "account",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "/a\\b",
            "https://evil.example/",
            "javascript:alert(1)",
            " /account",
            "/\t/evil.example",
            "/a\nb",
            "/a\u{7f}",
            long.as_str(),
        ] {
            assert_eq!(safe_return_path(path), "/", "{path:?}");
            assert!(!has_safe_shape(path), "{path:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn origin_check_catches_what_resolves_elsewhere() {
        for path in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/x",
            "/\t/evil.example",
        ] {
            assert!(!stays_on_origin(path), "{path:?}");
        }
        for path in ["/", "/a/../b?x#y", "/%2F%2Fevil.example"] {
            assert!(stays_on_origin(path), "{path:?}");
        }
    }
}
