//! Provider metadata (OIDC Discovery 1.0): where the configuration document lives, and parsing and checking it.
//! Must not fetch anything or touch any browser API: it gets bytes and returns a value that can be cached.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;
use url::Url;

use crate::keys::id_token::SigningAlgorithm;
use crate::provider::config::{Endpoints, is_secure_url};
use crate::sign_in::pkce::CODE_CHALLENGE_METHOD;
use crate::stored::FromJson;

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The parts of the provider's metadata this client uses. Serde round-trips it for caching in sessionStorage;
/// a cached copy should be re-checked with [`ProviderMetadata::validate`] when it is read back. The copy is read
/// member by member like a fetched document (see the `Deserialize` impl).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<Url>,
    /// RP-Initiated Logout 1.0, section 2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<Url>,
    /// RFC 7009 / RFC 8414 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<Url>,
    /// RFC 9207 3: absent means `false`.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Kept for the signature-verification issue, which checks the ID token's `alg` against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    /// RFC 9449 5.1: the proof algorithms the provider accepts; absent means it does not do DPoP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// RFC 9126 5: where authorization requests may be pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// RFC 9126 5: absent means `false`.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
}

#[derive(Debug, Error)]
pub enum DiscoveryError {
    #[error("the issuer is not an absolute URL")]
    IssuerNotAUrl(#[source] url::ParseError),
    #[error("the issuer must not have a query or a fragment (OIDC Core 1.2)")]
    IssuerQueryOrFragment,
    #[error("the provider metadata is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),
    #[error("the provider metadata is not a JSON object")]
    NotAnObject,
    #[error("the provider metadata has no `{field}`")]
    Missing { field: &'static str },
    #[error("the provider metadata field `{field}` must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the provider metadata field `{field}` is not an absolute URL")]
    NotAUrl {
        field: &'static str,
        #[source]
        source: url::ParseError,
    },
    #[error("the provider metadata field `{field}` must use https")]
    Insecure { field: &'static str },
    #[error(
        "the provider metadata names issuer `{found}`, but `{expected}` is configured (OIDC Discovery 4.3)"
    )]
    IssuerMismatch { expected: String, found: String },
    #[error("the provider does not support PKCE with S256 (RFC 7636 4.2)")]
    S256NotSupported,
    #[error("the ID token is signed with {alg}, which the provider does not list for ID tokens")]
    UnadvertisedAlg { alg: &'static str },
}

/// OIDC Discovery 4: "If the Issuer value contains a path component, any terminating / MUST be removed before
/// appending /.well-known/openid-configuration." One trailing slash is removed, as the spec says, no more.
pub fn discovery_url(issuer: &str) -> Result<Url, DiscoveryError> {
    let parsed = Url::parse(issuer).map_err(DiscoveryError::IssuerNotAUrl)?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(DiscoveryError::IssuerQueryOrFragment);
    }
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    Url::parse(&format!("{base}{WELL_KNOWN}")).map_err(DiscoveryError::IssuerNotAUrl)
}

/// Parses the discovery document and checks it against the configured issuer (see [`ProviderMetadata::validate`]).
pub fn parse_metadata(
    body: &[u8],
    expected_issuer: &str,
) -> Result<ProviderMetadata, DiscoveryError> {
    let value: Value = serde_json::from_slice(body).map_err(DiscoveryError::InvalidJson)?;
    let object = value.as_object().ok_or(DiscoveryError::NotAnObject)?;
    let metadata = metadata_from(object)?;
    metadata.validate(expected_issuer)?;
    Ok(metadata)
}

/// A cached copy, read by the same code as a fetched document rather than by a derive: the document is a `Value`
/// first either way, and a derived reader was a second reader of the same members in the first load. Validation
/// stays the caller's ([`ProviderMetadata::validate`]).
impl<'de> Deserialize<'de> for ProviderMetadata {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = Value::deserialize(deserializer)?;
        let object = value.as_object().ok_or(DiscoveryError::NotAnObject);
        object
            .and_then(metadata_from)
            .map_err(|error| D::Error::custom(error.to_string()))
    }
}

/// A saved copy, as the `Deserialize` impl reads it; validation stays the caller's.
impl FromJson for ProviderMetadata {
    fn from_json(value: Value) -> Option<Self> {
        metadata_from(value.as_object()?).ok()
    }
}

/// The members of a metadata document, each of its type; not yet validated.
fn metadata_from(object: &Map<String, Value>) -> Result<ProviderMetadata, DiscoveryError> {
    Ok(ProviderMetadata {
        issuer: string(object, "issuer")?.ok_or(DiscoveryError::Missing { field: "issuer" })?,
        authorization_endpoint: required_url(object, "authorization_endpoint")?,
        token_endpoint: required_url(object, "token_endpoint")?,
        jwks_uri: required_url(object, "jwks_uri")?,
        userinfo_endpoint: url(object, "userinfo_endpoint")?,
        end_session_endpoint: url(object, "end_session_endpoint")?,
        revocation_endpoint: url(object, "revocation_endpoint")?,
        authorization_response_iss_parameter_supported: flag(
            object,
            "authorization_response_iss_parameter_supported",
        )?,
        code_challenge_methods_supported: strings(object, "code_challenge_methods_supported")?,
        id_token_signing_alg_values_supported: strings(
            object,
            "id_token_signing_alg_values_supported",
        )?,
        dpop_signing_alg_values_supported: strings(object, "dpop_signing_alg_values_supported")?,
        pushed_authorization_request_endpoint: url(
            object,
            "pushed_authorization_request_endpoint",
        )?,
        require_pushed_authorization_requests: flag(
            object,
            "require_pushed_authorization_requests",
        )?,
    })
}

impl Endpoints {
    /// Enough to sign in without discovery: where to send the user, where to redeem the code, where the keys are.
    pub fn is_complete(&self) -> bool {
        self.authorization_endpoint.is_some()
            && self.token_endpoint.is_some()
            && self.jwks_uri.is_some()
    }

    /// The metadata for `issuer` from these endpoints alone, when complete, checked like a discovered document.
    /// Nothing else is known: no `iss` response parameter is promised (RFC 9207), S256 is assumed (RFC 9700 2.1.1).
    pub fn metadata(&self, issuer: &str) -> Option<Result<ProviderMetadata, DiscoveryError>> {
        let metadata = ProviderMetadata {
            issuer: issuer.to_owned(),
            authorization_endpoint: self.authorization_endpoint.clone()?,
            token_endpoint: self.token_endpoint.clone()?,
            jwks_uri: self.jwks_uri.clone()?,
            userinfo_endpoint: self.userinfo_endpoint.clone(),
            end_session_endpoint: self.end_session_endpoint.clone(),
            revocation_endpoint: self.revocation_endpoint.clone(),
            authorization_response_iss_parameter_supported: false,
            code_challenge_methods_supported: None,
            id_token_signing_alg_values_supported: self
                .id_token_signing_alg_values_supported
                .clone(),
            dpop_signing_alg_values_supported: self.dpop_signing_alg_values_supported.clone(),
            pushed_authorization_request_endpoint: self
                .pushed_authorization_request_endpoint
                .clone(),
            require_pushed_authorization_requests: false,
        };
        Some(metadata.validate(issuer).map(|()| metadata))
    }

    /// `discovered` with every endpoint given here in place of the provider's, checked again.
    pub fn apply(&self, discovered: ProviderMetadata) -> Result<ProviderMetadata, DiscoveryError> {
        let metadata = ProviderMetadata {
            authorization_endpoint: (self.authorization_endpoint.clone())
                .unwrap_or(discovered.authorization_endpoint),
            token_endpoint: (self.token_endpoint.clone()).unwrap_or(discovered.token_endpoint),
            jwks_uri: (self.jwks_uri.clone()).unwrap_or(discovered.jwks_uri),
            userinfo_endpoint: (self.userinfo_endpoint.clone()).or(discovered.userinfo_endpoint),
            end_session_endpoint: (self.end_session_endpoint.clone())
                .or(discovered.end_session_endpoint),
            revocation_endpoint: (self.revocation_endpoint.clone())
                .or(discovered.revocation_endpoint),
            pushed_authorization_request_endpoint: (self
                .pushed_authorization_request_endpoint
                .clone())
            .or(discovered.pushed_authorization_request_endpoint),
            id_token_signing_alg_values_supported: self
                .id_token_signing_alg_values_supported
                .clone()
                .or(discovered.id_token_signing_alg_values_supported),
            dpop_signing_alg_values_supported: self
                .dpop_signing_alg_values_supported
                .clone()
                .or(discovered.dpop_signing_alg_values_supported),
            ..discovered
        };
        metadata.validate(&metadata.issuer)?;
        Ok(metadata)
    }
}

impl ProviderMetadata {
    /// Whether tokens can be bound to a DPoP key here: the provider lists ES256, the one proof algorithm the app
    /// signs with (RFC 9449 5.1: "If omitted, then the authorization server does not support DPoP").
    pub fn binds_dpop(&self) -> bool {
        self.dpop_signing_alg_values_supported
            .as_ref()
            .is_some_and(|algs| algs.iter().any(|alg| alg == crate::sender::dpop::ALG))
    }

    /// OIDC Core 3.1.3.7 step 7: the `alg` must be the expected one. Without a registered
    /// `id_token_signed_response_alg`, that is one the provider lists in `id_token_signing_alg_values_supported`
    /// (REQUIRED by OIDC Discovery 3), or RS256, the default, when the list is missing.
    pub fn check_signing_alg(&self, alg: SigningAlgorithm) -> Result<(), DiscoveryError> {
        let listed = match &self.id_token_signing_alg_values_supported {
            Some(algs) => algs.iter().any(|name| name == alg.name()),
            None => alg == SigningAlgorithm::Rs256,
        };
        if listed {
            Ok(())
        } else {
            Err(DiscoveryError::UnadvertisedAlg { alg: alg.name() })
        }
    }

    /// The checks that make metadata usable for this client, also for a copy read back from a cache.
    pub fn validate(&self, expected_issuer: &str) -> Result<(), DiscoveryError> {
        // OIDC Discovery 4.3: "The issuer value returned MUST be identical to the Issuer URL that was used as the
        // prefix to /.well-known/openid-configuration to retrieve the configuration information." Identical means
        // string equality: no case folding, no trailing-slash normalization.
        if self.issuer != expected_issuer {
            return Err(DiscoveryError::IssuerMismatch {
                expected: expected_issuer.to_owned(),
                found: self.issuer.clone(),
            });
        }
        // Tokens, codes and verifiers travel to these endpoints. OIDC Discovery 3 requires https for the authorization
        // and UserInfo endpoints, OIDC Core 3.1.3 TLS for the token endpoint; we hold every endpoint to that rule.
        let endpoints = [
            ("authorization_endpoint", Some(&self.authorization_endpoint)),
            ("token_endpoint", Some(&self.token_endpoint)),
            ("jwks_uri", Some(&self.jwks_uri)),
            ("userinfo_endpoint", self.userinfo_endpoint.as_ref()),
            ("end_session_endpoint", self.end_session_endpoint.as_ref()),
            ("revocation_endpoint", self.revocation_endpoint.as_ref()),
            (
                "pushed_authorization_request_endpoint",
                self.pushed_authorization_request_endpoint.as_ref(),
            ),
        ];
        for (field, endpoint) in endpoints {
            if endpoint.is_some_and(|url| !is_secure_url(url)) {
                return Err(DiscoveryError::Insecure { field });
            }
        }
        // RFC 8414 2: `code_challenge_methods_supported` lists the PKCE methods; when it is listed without S256 the
        // provider would reject or, worse, ignore our challenge. When absent we send S256 anyway (RFC 9700 2.1.1).
        if let Some(methods) = &self.code_challenge_methods_supported
            && !methods.iter().any(|method| method == CODE_CHALLENGE_METHOD)
        {
            return Err(DiscoveryError::S256NotSupported);
        }
        Ok(())
    }
}

fn string(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, DiscoveryError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(DiscoveryError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// A boolean member; absent (or null) is `false`.
fn flag(object: &Map<String, Value>, field: &'static str) -> Result<bool, DiscoveryError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(DiscoveryError::WrongType {
            field,
            expected: "a boolean",
        }),
    }
}

fn url(object: &Map<String, Value>, field: &'static str) -> Result<Option<Url>, DiscoveryError> {
    string(object, field)?
        .map(|text| Url::parse(&text).map_err(|source| DiscoveryError::NotAUrl { field, source }))
        .transpose()
}

fn required_url(object: &Map<String, Value>, field: &'static str) -> Result<Url, DiscoveryError> {
    url(object, field)?.ok_or(DiscoveryError::Missing { field })
}

fn strings(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Vec<String>>, DiscoveryError> {
    let wrong_type = DiscoveryError::WrongType {
        field,
        expected: "an array of strings",
    };
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or(wrong_type),
        Some(_) => Err(wrong_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ISSUER, metadata, metadata_json};

    fn with(field: &str, value: Value) -> Vec<u8> {
        let mut json: Value = serde_json::from_str(&metadata_json()).unwrap();
        json[field] = value;
        serde_json::to_vec(&json).unwrap()
    }

    fn without(field: &str) -> Vec<u8> {
        let mut json: Value = serde_json::from_str(&metadata_json()).unwrap();
        json.as_object_mut().unwrap().remove(field);
        serde_json::to_vec(&json).unwrap()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn discovery_url_strips_one_trailing_slash() {
        assert_eq!(
            discovery_url("https://id.example").unwrap().as_str(),
            "https://id.example/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example/realms/demo/")
                .unwrap()
                .as_str(),
            "https://id.example/realms/demo/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example/realms/demo")
                .unwrap()
                .as_str(),
            "https://id.example/realms/demo/.well-known/openid-configuration"
        );
        assert!(matches!(
            discovery_url("not a url"),
            Err(DiscoveryError::IssuerNotAUrl(_))
        ));
        assert!(matches!(
            discovery_url("https://id.example/?a=b"),
            Err(DiscoveryError::IssuerQueryOrFragment)
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_a_keycloak_like_document_and_round_trips() {
        let metadata = parse_metadata(metadata_json().as_bytes(), ISSUER).unwrap();
        assert_eq!(metadata.issuer, ISSUER);
        assert_eq!(
            metadata.token_endpoint.as_str(),
            "https://id.example/realms/demo/protocol/openid-connect/token"
        );
        assert_eq!(
            metadata.end_session_endpoint.as_ref().map(Url::as_str),
            Some("https://id.example/realms/demo/protocol/openid-connect/logout")
        );
        assert!(metadata.authorization_response_iss_parameter_supported);
        assert_eq!(
            metadata.id_token_signing_alg_values_supported,
            Some(vec!["RS256".to_string(), "ES256".to_string()])
        );
        let cached = serde_json::to_string(&metadata).unwrap();
        let restored: ProviderMetadata = serde_json::from_str(&cached).unwrap();
        assert_eq!(restored, metadata);
        assert!(restored.validate(ISSUER).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_cached_copy_is_read_member_by_member_and_refused_when_malformed() {
        let metadata = parse_metadata(metadata_json().as_bytes(), ISSUER).unwrap();
        let cached: Value = serde_json::to_value(&metadata).unwrap();
        let read = |value: &Value| {
            serde_json::from_slice::<ProviderMetadata>(value.to_string().as_bytes())
        };
        assert_eq!(read(&cached).unwrap(), metadata);
        for (field, wrong) in [
            ("issuer", Value::Null),
            ("token_endpoint", Value::Null),
            ("jwks_uri", serde_json::json!(5)),
            ("authorization_endpoint", serde_json::json!("not a url")),
            ("userinfo_endpoint", serde_json::json!(true)),
            (
                "authorization_response_iss_parameter_supported",
                serde_json::json!("yes"),
            ),
            (
                "dpop_signing_alg_values_supported",
                serde_json::json!("ES256"),
            ),
        ] {
            let mut broken = cached.clone();
            broken[field] = wrong;
            assert!(read(&broken).is_err(), "{field}");
        }
        assert!(read(&serde_json::json!([ISSUER])).is_err());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn optional_fields_may_be_absent() {
        let mut json: Value = serde_json::from_str(&metadata_json()).unwrap();
        let object = json.as_object_mut().unwrap();
        for field in [
            "userinfo_endpoint",
            "end_session_endpoint",
            "revocation_endpoint",
            "authorization_response_iss_parameter_supported",
            "code_challenge_methods_supported",
        ] {
            object.remove(field);
        }
        let metadata = parse_metadata(&serde_json::to_vec(&json).unwrap(), ISSUER).unwrap();
        assert_eq!(metadata.userinfo_endpoint, None);
        assert_eq!(metadata.end_session_endpoint, None);
        assert!(!metadata.authorization_response_iss_parameter_supported);
        assert_eq!(metadata.code_challenge_methods_supported, None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn issuer_must_match_exactly() {
        // OIDC Discovery 4.3: a trailing slash or a case change is a different issuer.
        for found in [
            "https://id.example/realms/demo/",
            "https://ID.example/realms/demo",
            "https://evil.example/realms/demo",
        ] {
            let error = parse_metadata(&with("issuer", found.into()), ISSUER).unwrap_err();
            assert!(
                matches!(&error, DiscoveryError::IssuerMismatch { found: f, .. } if f == found),
                "{error}"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn required_endpoints_must_be_present() {
        for field in [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
        ] {
            let error = parse_metadata(&without(field), ISSUER).unwrap_err();
            assert!(
                matches!(error, DiscoveryError::Missing { field: f } if f == field),
                "{field}: {error}"
            );
            assert_eq!(
                error.to_string(),
                format!("the provider metadata has no `{field}`")
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pkce_s256_must_be_listed_when_methods_are_listed() {
        let error = parse_metadata(
            &with(
                "code_challenge_methods_supported",
                serde_json::json!(["plain"]),
            ),
            ISSUER,
        )
        .unwrap_err();
        assert!(matches!(error, DiscoveryError::S256NotSupported));
        assert!(
            parse_metadata(
                &with(
                    "code_challenge_methods_supported",
                    serde_json::json!(["plain", "S256"])
                ),
                ISSUER
            )
            .is_ok()
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn malformed_documents_are_typed_errors() {
        assert!(matches!(
            parse_metadata(b"<html>", ISSUER),
            Err(DiscoveryError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_metadata(b"[]", ISSUER),
            Err(DiscoveryError::NotAnObject)
        ));
        assert!(matches!(
            parse_metadata(&with("token_endpoint", 5.into()), ISSUER),
            Err(DiscoveryError::WrongType {
                field: "token_endpoint",
                ..
            })
        ));
        assert!(matches!(
            parse_metadata(&with("jwks_uri", "/certs".into()), ISSUER),
            Err(DiscoveryError::NotAUrl {
                field: "jwks_uri",
                ..
            })
        ));
        assert!(matches!(
            parse_metadata(
                &with("token_endpoint", "http://id.example/token".into()),
                ISSUER
            ),
            Err(DiscoveryError::Insecure {
                field: "token_endpoint"
            })
        ));
        assert!(matches!(
            parse_metadata(
                &with(
                    "authorization_response_iss_parameter_supported",
                    "true".into()
                ),
                ISSUER
            ),
            Err(DiscoveryError::WrongType { .. })
        ));
        assert!(matches!(
            parse_metadata(
                &with("code_challenge_methods_supported", serde_json::json!([1])),
                ISSUER
            ),
            Err(DiscoveryError::WrongType { .. })
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pushed_authorization_requests_are_read_as_rfc_9126_5_says() {
        const PAR: &str = "https://id.example/realms/demo/par";
        assert_eq!(metadata().pushed_authorization_request_endpoint, None);
        assert!(
            !metadata().require_pushed_authorization_requests,
            "absent: false"
        );
        let mut json: Value = serde_json::from_str(&metadata_json()).unwrap();
        json["pushed_authorization_request_endpoint"] = PAR.into();
        json["require_pushed_authorization_requests"] = true.into();
        let parsed = parse_metadata(&serde_json::to_vec(&json).unwrap(), ISSUER).unwrap();
        assert_eq!(
            parsed
                .pushed_authorization_request_endpoint
                .as_ref()
                .map(Url::as_str),
            Some(PAR)
        );
        assert!(parsed.require_pushed_authorization_requests);
        // The saved copy keeps both.
        let copy: ProviderMetadata =
            serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(copy, parsed);

        assert!(matches!(
            parse_metadata(
                &with(
                    "pushed_authorization_request_endpoint",
                    "http://id.example/par".into()
                ),
                ISSUER
            ),
            Err(DiscoveryError::Insecure {
                field: "pushed_authorization_request_endpoint"
            })
        ));
        assert!(matches!(
            parse_metadata(
                &with("require_pushed_authorization_requests", "yes".into()),
                ISSUER
            ),
            Err(DiscoveryError::WrongType {
                field: "require_pushed_authorization_requests",
                ..
            })
        ));
        // Pinned in config.json: it wins over the document, and serves a configuration without discovery.
        let pinned = crate::provider::config::Endpoints {
            pushed_authorization_request_endpoint: Some(Url::parse(PAR).unwrap()),
            ..Default::default()
        };
        let merged = pinned.apply(metadata()).unwrap();
        assert_eq!(
            merged
                .pushed_authorization_request_endpoint
                .as_ref()
                .map(Url::as_str),
            Some(PAR)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_id_token_alg_must_be_one_the_provider_lists() {
        let mut metadata = crate::testing::metadata();
        metadata.id_token_signing_alg_values_supported = Some(vec!["RS256".into(), "ES256".into()]);
        assert!(metadata.check_signing_alg(SigningAlgorithm::Es256).is_ok());
        assert!(matches!(
            metadata.check_signing_alg(SigningAlgorithm::Ps256),
            Err(DiscoveryError::UnadvertisedAlg { alg: "PS256" })
        ));
        // Without the list, only the default RS256.
        metadata.id_token_signing_alg_values_supported = None;
        assert!(metadata.check_signing_alg(SigningAlgorithm::Rs256).is_ok());
        assert!(metadata.check_signing_alg(SigningAlgorithm::Es256).is_err());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn endpoints_from_the_configuration_replace_or_override_discovery() {
        use crate::provider::config::Endpoints;
        let url = |text: &str| Some(Url::parse(text).unwrap());
        let issuer = "https://id.example/realms/demo";

        // Nothing given: discovery decides alone.
        assert!(Endpoints::default().metadata(issuer).is_none());
        assert_eq!(Endpoints::default().apply(metadata()).unwrap(), metadata());

        // The three that a sign-in needs: no discovery, the rest unknown, checked like a discovered document.
        let complete = Endpoints {
            authorization_endpoint: url("https://id.example/authorize"),
            token_endpoint: url("https://id.example/token"),
            jwks_uri: url("https://id.example/keys"),
            end_session_endpoint: url("https://id.example/logout"),
            ..Endpoints::default()
        };
        let pinned = complete.metadata(issuer).unwrap().unwrap();
        assert_eq!(pinned.issuer, issuer);
        assert_eq!(pinned.token_endpoint.as_str(), "https://id.example/token");
        assert_eq!(
            pinned.end_session_endpoint,
            url("https://id.example/logout")
        );
        assert_eq!(pinned.revocation_endpoint, None);
        assert!(!pinned.authorization_response_iss_parameter_supported);

        // Some given: they win over discovery, the rest stays.
        let partial = Endpoints {
            end_session_endpoint: url("https://id.example/v2/logout"),
            id_token_signing_alg_values_supported: Some(vec!["ES256".into()]),
            ..Endpoints::default()
        };
        assert!(partial.metadata(issuer).is_none());
        let merged = partial.apply(metadata()).unwrap();
        assert_eq!(
            merged.end_session_endpoint,
            url("https://id.example/v2/logout")
        );
        assert_eq!(merged.token_endpoint, metadata().token_endpoint);
        assert_eq!(
            merged.id_token_signing_alg_values_supported,
            Some(vec!["ES256".into()])
        );

        // The same URL rules as discovery: plain http only on loopback.
        let insecure = Endpoints {
            token_endpoint: url("http://id.example/token"),
            ..complete.clone()
        };
        assert!(matches!(
            insecure.metadata(issuer),
            Some(Err(DiscoveryError::Insecure {
                field: "token_endpoint"
            }))
        ));
        let insecure = Endpoints {
            revocation_endpoint: url("http://id.example/revoke"),
            ..Endpoints::default()
        };
        assert!(insecure.apply(metadata()).is_err());
    }
}
