//! The relying party's configuration (issuer, client, scope, redirect URIs, clock leeway) parsed from JSON, and the
//! URL policy shared by every endpoint we talk to. Must not fetch the file or touch any browser API: it gets text.

use std::rc::Rc;

use serde_json::{Map, Value};
use thiserror::Error;
use url::{Host, Url};

/// Scope requested when the configuration names none (OIDC Core 5.4 standard scopes).
pub const DEFAULT_SCOPE: &str = "openid profile email";
/// Clock-skew allowance for `exp`/`iat` (OIDC Core 3.1.3.7 steps 9 and 10: "some small leeway").
pub const DEFAULT_LEEWAY_SECONDS: u64 = 60;
/// Largest leeway accepted: a bigger one would quietly disable the `exp` check.
pub const MAX_LEEWAY_SECONDS: u64 = 300;
/// Renew this many seconds before the access token expires.
pub const DEFAULT_RENEW_MARGIN_SECONDS: u64 = 60;

/// The relying party's settings, usually read from `config.json` (see docs/configuration.md).
///
/// ```
/// # use oidc_spa_core::Config;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let base = url::Url::parse("https://app.example/")?;
/// let config = Config::from_json(r#"{"issuer": "https://id.example", "client_id": "spa"}"#, &base)?;
/// assert_eq!(config.redirect_uri.as_str(), "https://app.example/callback");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Exactly as configured: compared by string equality with the metadata and the ID token (OIDC Discovery 4.3).
    pub issuer: String,
    pub client_id: String,
    /// Space-separated, always contains `openid` (OIDC Core 3.1.2.1).
    pub scope: String,
    pub redirect_uri: Url,
    pub post_logout_redirect_uri: Url,
    pub leeway_seconds: u64,
    /// Renew the access token this long before it expires (when a refresh token is held).
    pub renew_margin_seconds: u64,
    /// How the provider sign-out reaches the end-session endpoint (RP-Initiated Logout 1.0, section 2).
    pub logout_method: LogoutMethod,
    /// Audiences besides `client_id` that an ID token may list, such as an API the provider always adds. Any
    /// other extra audience is refused (OIDC Core 3.1.3.7 step 3). Empty unless configured.
    pub trusted_audiences: Vec<String>,
    /// Extra authorization request parameters, sent with every sign-in unless a sign-in overrides them.
    pub params: AuthorizationParams,
    /// The origins (`https://api.example.com`) the access token may be sent to by the authorized-request helper.
    /// Absent from config.json: none (the token is sent nowhere).
    pub api_origins: Vec<String>,
    /// Provider endpoints given in config.json, for providers without (usable) discovery.
    pub endpoints: Endpoints,
    /// How to call a provider sign-out that is not RP-Initiated Logout; `None`: the standard, at the discovered
    /// `end_session_endpoint`.
    pub logout: Option<LogoutDescription>,
    /// Sender-constrained tokens (RFC 9449 DPoP): `"dpop": true` requires them, `"if-supported"` takes them when the
    /// provider offers ES256 proofs ([`ProviderMetadata::binds_dpop`](crate::provider::discovery::ProviderMetadata::binds_dpop)).
    pub dpop: Dpop,
    /// Pushed authorization requests (RFC 9126): `"par": "auto"` (the default) pushes when the provider publishes a
    /// `pushed_authorization_request_endpoint`, `"always"` requires it, `"never"` sends every parameter in the URL.
    pub par: Par,
    /// The provider's name among the app's providers: `None` for the main one ([`MAIN_PROVIDER`]), the entry's
    /// `name` for one of [`providers`](Self::providers).
    pub name: Option<String>,
    /// More providers, each with its own session (config.json's `providers`: each entry every member a provider's
    /// configuration has, and a `name`). Empty for an entry itself.
    /// Shared, not copied: each becomes an `AuthProvider`'s configuration as it is.
    pub providers: Vec<Rc<Config>>,
    /// Another provider of the app (the main one or an entry of `providers`) comes back to the same redirect URI:
    /// the callback then requires the `iss` response parameter to tell them apart (RFC 9700 4.4.2).
    pub shares_redirect_uri: bool,
    /// Every member of config.json as given, the library's own included: the app's own settings live beside the
    /// library's (read them with [`setting`](Self::setting)), so one file configures both.
    settings: Map<String, Value>,
}

/// The name the main provider goes by beside those of config.json's `providers`.
pub const MAIN_PROVIDER: &str = "main";

/// How a provider's sign-out endpoint is called: RP-Initiated Logout 1.0 by default, or what config.json's `logout`
/// says for providers that do it their own way (Auth0's `/v2/logout?client_id&returnTo`, Cognito's
/// `/logout?client_id&logout_uri`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutDescription {
    pub endpoint: Url,
    /// The parameter that carries `post_logout_redirect_uri`.
    pub return_param: String,
    pub id_token_hint: bool,
    pub client_id: bool,
    /// Without it, the return cannot be told from a forged one, and is taken as the provider sign-out it claims.
    pub state: bool,
}

impl LogoutDescription {
    /// RP-Initiated Logout 1.0 section 2 at `endpoint`: every parameter.
    pub fn rp_initiated(endpoint: Url) -> LogoutDescription {
        LogoutDescription {
            endpoint,
            return_param: "post_logout_redirect_uri".to_owned(),
            id_token_hint: true,
            client_id: true,
            state: true,
        }
    }
}

/// Whether the tokens are bound to a DPoP key (RFC 9449).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dpop {
    /// Bearer tokens (`"dpop": false`, or no `dpop`).
    #[default]
    Off,
    /// DPoP when the provider lists ES256 in `dpop_signing_alg_values_supported`, Bearer otherwise
    /// (`"dpop": "if-supported"`): the session panel says which.
    IfSupported,
    /// DPoP or no sign-in (`"dpop": true`): a provider that does not list ES256 is a configuration error, found
    /// before the sign-in leaves for the provider, never a quiet fall back to Bearer tokens.
    Required,
}

/// Whether the authorization request is pushed to the provider first (RFC 9126), so the browser carries only a
/// `request_uri` to the authorization endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Par {
    /// Pushed when the provider publishes `pushed_authorization_request_endpoint` (`"par": "auto"`, or no `par`).
    #[default]
    Auto,
    /// Pushed, or no sign-in (`"par": "always"`): a provider without the endpoint is a configuration error.
    Always,
    /// Never pushed (`"par": "never"`): a provider that sets `require_pushed_authorization_requests` is then a
    /// configuration error, found before the user leaves.
    Never,
}

/// Provider metadata given in config.json instead of, or on top of, the discovery document. With
/// `authorization_endpoint`, `token_endpoint` and `jwks_uri` all given, discovery is skipped; otherwise what is
/// given overrides what discovery says. Either way the result passes the checks a discovered document does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
    pub jwks_uri: Option<Url>,
    pub userinfo_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub end_session_endpoint: Option<Url>,
    /// RFC 9126 5.
    pub pushed_authorization_request_endpoint: Option<Url>,
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    /// RFC 9449 5.1, for a provider whose discovery document does not say (or with endpoints pinned here).
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// Extra parameters of the authorization request that providers need to issue tokens for an API or to steer the
/// sign-in. Each is sent only when set.
///
/// ```
/// # use oidc_spa_core::config::AuthorizationParams;
/// // A step-up for one sign-in: `auth.sign_in_with("/orders", &fresh_login)`.
/// let fresh_login = AuthorizationParams { prompt: Some("login".into()), max_age: Some(0), ..Default::default() };
/// assert_eq!(fresh_login.pairs(), [("prompt", "login".to_owned()), ("max_age", "0".to_owned())]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationParams {
    /// Auth0's name for the API the access token is for.
    pub audience: Option<String>,
    /// RFC 8707 2: absolute URIs without a fragment, one `resource` parameter each.
    pub resource: Vec<String>,
    /// OIDC Core 3.1.2.1: `none`, `login`, `consent`, `select_account`, space-separated.
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// ACR values (OIDC Core 3.1.2.1), space-separated: voluntary, unless `acr_essential`.
    pub acr_values: Option<String>,
    /// `acr_values` requested as an Essential Claim (OIDC Core 5.5.1.1, with the `claims` parameter): the ID token's
    /// `acr` must then be one of them, or the sign-in fails (3.1.3.7 step 12). What a step-up asks for (RFC 9470).
    pub acr_essential: bool,
    /// Seconds since the user last authenticated actively; the ID token must then carry `auth_time` and it is
    /// checked (OIDC Core 3.1.2.1, 3.1.3.7 step 13).
    pub max_age: Option<u64>,
}

impl AuthorizationParams {
    /// These parameters with every field `overrides` sets taken from it (a sign-in's own choices).
    pub fn overridden_by(&self, overrides: &AuthorizationParams) -> AuthorizationParams {
        let pick =
            |own: &Option<String>, other: &Option<String>| other.clone().or_else(|| own.clone());
        AuthorizationParams {
            audience: pick(&self.audience, &overrides.audience),
            resource: if overrides.resource.is_empty() {
                self.resource.clone()
            } else {
                overrides.resource.clone()
            },
            prompt: pick(&self.prompt, &overrides.prompt),
            login_hint: pick(&self.login_hint, &overrides.login_hint),
            ui_locales: pick(&self.ui_locales, &overrides.ui_locales),
            acr_values: pick(&self.acr_values, &overrides.acr_values),
            acr_essential: if overrides.acr_values.is_some() {
                overrides.acr_essential
            } else {
                self.acr_essential
            },
            max_age: overrides.max_age.or(self.max_age),
        }
    }

    /// What a resource server's step-up challenge asks for (RFC 9470 4): its `acr_values` as essential, its
    /// `max_age`, and nothing else (the configuration's other parameters still apply, see [`overridden_by`]).
    ///
    /// [`overridden_by`]: Self::overridden_by
    pub fn step_up(challenge: &crate::sender::resource::StepUp) -> AuthorizationParams {
        AuthorizationParams {
            acr_values: challenge.acr_values.clone(),
            acr_essential: challenge.acr_values.is_some(),
            max_age: challenge.max_age,
            ..AuthorizationParams::default()
        }
    }

    /// The ACR values the ID token's `acr` must be one of, when requested as essential.
    pub fn essential_acr(&self) -> Option<Vec<String>> {
        let values = self.acr_values.as_ref().filter(|_| self.acr_essential)?;
        Some(values.split_ascii_whitespace().map(str::to_owned).collect())
    }

    /// The parameters as name/value pairs, in a fixed order, each only when set.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        let mut single = |name, value: &Option<String>| {
            if let Some(value) = value {
                pairs.push((name, value.clone()));
            }
        };
        single("audience", &self.audience);
        single("prompt", &self.prompt);
        single("login_hint", &self.login_hint);
        single("ui_locales", &self.ui_locales);
        // OIDC Core 5.5, 5.5.1.1: essential, `{"id_token":{"acr":{"essential":true,"values":[…]}}}` alone; voluntary,
        // `acr_values` (3.1.2.1). Not both: `acr_values` is a voluntary request of the same claim, and providers
        // take it over the essential one (oidc-provider does, and then signs in at any level).
        if let Some(values) = self.essential_acr() {
            // The values as a JSON array of strings (escaped by serde_json); the rest is fixed text, which keeps
            // `Value`'s serializer out of the first load.
            let values = serde_json::to_string(&values).unwrap_or_else(|_| "[]".to_owned());
            pairs.push((
                "claims",
                format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":{values}}}}}}}"#),
            ));
        } else {
            single("acr_values", &self.acr_values);
        }
        pairs.extend(self.resource.iter().map(|uri| ("resource", uri.clone())));
        if let Some(max_age) = self.max_age {
            pairs.push(("max_age", max_age.to_string()));
        }
        pairs
    }
}

/// How the end-session request is sent. RP-Initiated Logout 1.0 section 2: the OP "MUST support the use of the
/// HTTP GET and POST methods". With GET the ID token (`id_token_hint`) travels in the URL, so it reaches the
/// provider's access logs and the browser's history; a form POST keeps it in the request body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogoutMethod {
    #[default]
    Get,
    Post,
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("the configuration is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),
    #[error("the configuration must be a JSON object")]
    NotAnObject,
    #[error("missing field `{field}`")]
    Missing { field: &'static str },
    #[error("field `{field}` must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("field `{field}` must not be empty")]
    Empty { field: &'static str },
    #[error("field `{field}` has leading or trailing whitespace")]
    Whitespace { field: &'static str },
    #[error("field `{field}` is not an absolute URL")]
    NotAUrl {
        field: &'static str,
        #[source]
        source: url::ParseError,
    },
    #[error(
        "field `{field}` must use https (http is allowed only for localhost, 127.0.0.1 and [::1])"
    )]
    Insecure { field: &'static str },
    #[error("field `issuer` must not have a query or a fragment (OIDC Core 1.2)")]
    IssuerQueryOrFragment,
    #[error("field `{field}` must not have a fragment (RFC 6749 3.1.2)")]
    Fragment { field: &'static str },
    #[error("field `{field}` must list origins only (scheme, host and port, no path)")]
    NotAnOrigin { field: &'static str },
    #[error("field `leeway_seconds` must be at most {max}")]
    LeewayTooLarge { max: u64 },
    #[error(
        "`\"dpop\": true` requires DPoP, but the provider does not list ES256 in \
         dpop_signing_alg_values_supported (RFC 9449 5.1); set that field in config.json if the provider supports \
         it, or use `\"dpop\": \"if-supported\"` to accept Bearer tokens"
    )]
    DpopUnsupported,
    #[error(
        "`\"par\": \"always\"` requires pushed authorization requests, but the provider publishes no \
         pushed_authorization_request_endpoint (RFC 9126 5); set it in config.json if the provider has one"
    )]
    ParUnsupported,
    #[error(
        "the provider requires pushed authorization requests (require_pushed_authorization_requests, RFC 9126 5), \
         but config.json says `\"par\": \"never\"`"
    )]
    ParRequired,
    #[error("in `providers` entry {index}: {source}")]
    Provider {
        index: usize,
        #[source]
        source: Box<ConfigError>,
    },
    #[error("a `providers` entry cannot list providers of its own")]
    NestedProviders,
    #[error(
        "each `providers` entry needs a `name` of its own (letters, digits, `-` and `_`), and `main` is the main \
         provider's"
    )]
    ProviderName,
}

impl Config {
    /// The name of this app among the apps of its origin: the client and the path of its redirect URI
    /// (`spa@/callback`, `spa@/some/app/callback`), and for one of config.json's `providers` its name after a `#`
    /// (`spa@/callback#staff`). The browser layer names everything it keeps after it, so that two apps on one
    /// origin (two paths of one site, two clients of one provider) and two providers of one app never read or wipe
    /// each other's session and keys.
    ///
    /// ```
    /// # use oidc_spa_core::Config;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let json = r#"{"issuer": "https://id.example", "client_id": "spa"}"#;
    /// let app = Config::from_json(json, &url::Url::parse("https://user.github.io/app/")?)?;
    /// let other = Config::from_json(json, &url::Url::parse("https://user.github.io/other/")?)?;
    /// assert_eq!(app.instance(), "spa@/app/callback");
    /// assert_ne!(app.instance(), other.instance());
    /// # Ok(())
    /// # }
    /// ```
    pub fn instance(&self) -> String {
        match &self.name {
            None => format!("{}@{}", self.client_id, self.redirect_uri.path()),
            Some(name) => format!("{}@{}#{name}", self.client_id, self.redirect_uri.path()),
        }
    }

    /// The member `name` of config.json as given, for the app's own settings (the demo's `title` and `api_url`);
    /// `None` when absent. The library's own members are read by [`from_json`](Self::from_json), checked.
    pub fn setting(&self, name: &str) -> Option<&Value> {
        self.settings.get(name)
    }

    /// A configuration built in code rather than read from config.json: the issuer and client, then any member
    /// of config.json by name ([`ConfigBuilder::with`]), checked by the same [`from_json`](Self::from_json) when
    /// built.
    ///
    /// ```
    /// # use oidc_spa_core::Config;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let base = url::Url::parse("https://app.example/")?;
    /// let config = Config::builder("https://id.example", "spa")
    ///     .with("api_origins", ["https://api.example"])
    ///     .with("offline_access", true)
    ///     .build(&base)?;
    /// assert_eq!(config.api_origins, ["https://api.example"]);
    /// assert!(Config::builder("http://id.example", "spa").build(&base).is_err(), "https only");
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(issuer: &str, client_id: &str) -> ConfigBuilder {
        let mut members = Map::new();
        members.insert("issuer".to_owned(), Value::from(issuer));
        members.insert("client_id".to_owned(), Value::from(client_id));
        ConfigBuilder { members }
    }

    /// Parses the app's configuration. `base` is the app's base URL (the directory it is served from, e.g.
    /// `https://app.example/` or `https://example.com/app/`); the default redirect URIs are derived from it, with
    /// any query or fragment it carries removed. Unknown fields are ignored so later issues can add settings.
    pub fn from_json(json: &str, base: &Url) -> Result<Config, ConfigError> {
        let value: Value =
            serde_json::from_slice(json.as_bytes()).map_err(ConfigError::InvalidJson)?;
        let object = value.as_object().ok_or(ConfigError::NotAnObject)?;
        let mut config = Config::from_object(object, base, None)?;
        let mut providers = more_providers(object, base)?;
        let redirects: Vec<Url> = std::iter::once(&config)
            .chain(&providers)
            .map(|config| config.redirect_uri.clone())
            .collect();
        let shared = |uri: &Url| redirects.iter().filter(|other| *other == uri).count() > 1;
        config.shares_redirect_uri = shared(&config.redirect_uri);
        for provider in &mut providers {
            provider.shares_redirect_uri = shared(&provider.redirect_uri);
        }
        config.providers = providers.into_iter().map(Rc::new).collect();
        Ok(config)
    }

    /// One provider's configuration: the main one's (`name` `None`) or an entry of its `providers`.
    fn from_object(
        object: &Map<String, Value>,
        base: &Url,
        name: Option<String>,
    ) -> Result<Config, ConfigError> {
        let issuer = required_string(object, "issuer")?;
        let issuer_url = parse_absolute("issuer", &issuer)?;
        if !is_secure_url(&issuer_url) {
            return Err(ConfigError::Insecure { field: "issuer" });
        }
        // OIDC Core 1.2 (Issuer Identifier), used by OIDC Discovery 2: "a case-sensitive URL using the https scheme that contains scheme, host,
        // and optionally, port number and path components and no query or fragment components".
        if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
            return Err(ConfigError::IssuerQueryOrFragment);
        }

        let client_id = required_string(object, "client_id")?;

        let mut scope = match optional_string(object, "scope")? {
            Some(scope) => scope_with_openid(&scope),
            None => DEFAULT_SCOPE.to_string(),
        };
        // OIDC Core 11: `offline_access` asks for a refresh token that outlives the provider session. Some
        // providers (Keycloak, Auth0) issue refresh tokens only for it; others need no scope at all.
        let offline_access = optional_bool(object, "offline_access")?;
        if offline_access && !scope.split(' ').any(|item| item == "offline_access") {
            scope.push_str(" offline_access");
        }

        let mut base = base.clone();
        base.set_query(None);
        base.set_fragment(None);

        let redirect_uri = match optional_string(object, "redirect_uri")? {
            Some(uri) => parse_absolute("redirect_uri", &uri)?,
            None => base
                .join("callback")
                .map_err(|source| ConfigError::NotAUrl {
                    field: "redirect_uri",
                    source,
                })?,
        };
        check_redirect("redirect_uri", &redirect_uri)?;

        let post_logout_redirect_uri = match optional_string(object, "post_logout_redirect_uri")? {
            Some(uri) => parse_absolute("post_logout_redirect_uri", &uri)?,
            None => base,
        };
        check_redirect("post_logout_redirect_uri", &post_logout_redirect_uri)?;

        let leeway_seconds = seconds(object, "leeway_seconds", DEFAULT_LEEWAY_SECONDS)?;
        let renew_margin_seconds =
            seconds(object, "renew_margin_seconds", DEFAULT_RENEW_MARGIN_SECONDS)?;
        if leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(ConfigError::LeewayTooLarge {
                max: MAX_LEEWAY_SECONDS,
            });
        }

        let logout_method = match optional_string(object, "logout_method")?.as_deref() {
            None | Some("get") => LogoutMethod::Get,
            Some("post") => LogoutMethod::Post,
            Some(_) => {
                return Err(ConfigError::WrongType {
                    field: "logout_method",
                    expected: "\"get\" or \"post\"",
                });
            }
        };
        let trusted_audiences = string_list(object, "trusted_audiences")?;
        let params = AuthorizationParams {
            audience: optional_string(object, "audience")?,
            resource: resources(object)?,
            prompt: optional_string(object, "prompt")?,
            login_hint: optional_string(object, "login_hint")?,
            ui_locales: optional_string(object, "ui_locales")?,
            acr_values: optional_string(object, "acr_values")?,
            acr_essential: false,
            max_age: match object.get("max_age") {
                None | Some(Value::Null) => None,
                Some(_) => Some(seconds(object, "max_age", 0)?),
            },
        };
        let api_origins = match object.get("api_origins") {
            // None unless listed: the app's own origin may be shared (a GitHub Pages user site, a `--public-url`
            // path on a shared host), and every path of it would get the token (issue 24, 2).
            None | Some(Value::Null) => Vec::new(),
            Some(_) => string_list(object, "api_origins")?
                .iter()
                .map(|text| origin_of(text))
                .collect::<Result<_, _>>()?,
        };
        let endpoint = |field| -> Result<Option<Url>, ConfigError> {
            let Some(text) = optional_string(object, field)? else {
                return Ok(None);
            };
            let url = parse_absolute(field, &text)?;
            if !is_secure_url(&url) {
                return Err(ConfigError::Insecure { field });
            }
            Ok(Some(url))
        };
        let endpoints = Endpoints {
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            jwks_uri: endpoint("jwks_uri")?,
            userinfo_endpoint: endpoint("userinfo_endpoint")?,
            revocation_endpoint: endpoint("revocation_endpoint")?,
            end_session_endpoint: endpoint("end_session_endpoint")?,
            pushed_authorization_request_endpoint: endpoint(
                "pushed_authorization_request_endpoint",
            )?,
            id_token_signing_alg_values_supported: optional_list(
                object,
                "id_token_signing_alg_values_supported",
            )?,
            dpop_signing_alg_values_supported: optional_list(
                object,
                "dpop_signing_alg_values_supported",
            )?,
        };

        let logout = match object.get("logout") {
            None | Some(Value::Null) => None,
            Some(Value::Object(described)) => Some(logout_description(described)?),
            Some(_) => {
                return Err(ConfigError::WrongType {
                    field: "logout",
                    expected: "an object with endpoint, return_param and params",
                });
            }
        };

        let dpop = match object.get("dpop") {
            None | Some(Value::Null | Value::Bool(false)) => Dpop::Off,
            Some(Value::Bool(true)) => Dpop::Required,
            Some(Value::String(mode)) if mode == "if-supported" => Dpop::IfSupported,
            Some(_) => {
                return Err(ConfigError::WrongType {
                    field: "dpop",
                    expected: "true, false or \"if-supported\"",
                });
            }
        };

        let par = match object.get("par") {
            None | Some(Value::Null) => Par::Auto,
            Some(Value::String(mode)) if mode == "auto" => Par::Auto,
            Some(Value::String(mode)) if mode == "always" => Par::Always,
            Some(Value::String(mode)) if mode == "never" => Par::Never,
            Some(_) => {
                return Err(ConfigError::WrongType {
                    field: "par",
                    expected: "\"auto\", \"always\" or \"never\"",
                });
            }
        };

        Ok(Config {
            issuer,
            client_id,
            scope,
            redirect_uri,
            post_logout_redirect_uri,
            leeway_seconds,
            renew_margin_seconds,
            logout_method,
            trusted_audiences,
            params,
            api_origins,
            endpoints,
            logout,
            dpop,
            par,
            name,
            providers: Vec::new(),
            shares_redirect_uri: false,
            settings: object.clone(),
        })
    }
}

/// The `providers` of config.json: each entry a provider's own configuration (every member as in the main one), with
/// a `name` of its own; `main` is the main one's.
fn more_providers(object: &Map<String, Value>, base: &Url) -> Result<Vec<Config>, ConfigError> {
    let entries = match object.get("providers") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(ConfigError::WrongType {
                field: "providers",
                expected: "a list of objects, each with a name",
            });
        }
    };
    let mut providers: Vec<Config> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let in_entry = |source| ConfigError::Provider {
            index,
            source: Box::new(source),
        };
        let Value::Object(entry) = entry else {
            return Err(in_entry(ConfigError::NotAnObject));
        };
        if entry.contains_key("providers") {
            return Err(in_entry(ConfigError::NestedProviders));
        }
        let name = required_string(entry, "name").map_err(in_entry)?;
        // A name of its own, and one that cannot run into another's in the browser's names (`…#a:` and `…#a:b:`).
        let plain = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !plain
            || name == MAIN_PROVIDER
            || providers
                .iter()
                .any(|other| other.name.as_ref() == Some(&name))
        {
            return Err(in_entry(ConfigError::ProviderName));
        }
        providers.push(Config::from_object(entry, base, Some(name)).map_err(in_entry)?);
    }
    Ok(providers)
}

/// A [`Config`] being built in code: the members config.json would hold, checked all together by
/// [`build`](Self::build), the same checks as a file's.
#[derive(Clone, Debug)]
pub struct ConfigBuilder {
    members: Map<String, Value>,
}

impl ConfigBuilder {
    /// Sets the member `name` (any field of config.json, or a setting of the app's own) to `value`.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.members.insert(name.to_owned(), value.into());
        self
    }

    /// The configuration, or the first problem found, as [`Config::from_json`] would report it.
    pub fn build(self, base: &Url) -> Result<Config, ConfigError> {
        Config::from_json(&Value::Object(self.members).to_string(), base)
    }
}

/// A list of strings, `None` when absent or null.
fn optional_list(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Vec<String>>, ConfigError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => string_list(object, field).map(Some),
    }
}

/// A `true`/`false` field, `false` when absent or null.
fn optional_bool(object: &Map<String, Value>, field: &'static str) -> Result<bool, ConfigError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(value) => value.as_bool().ok_or(ConfigError::WrongType {
            field,
            expected: "true or false",
        }),
    }
}

/// `logout`: `{"endpoint": url, "return_param": name, "params": [...]}`, where `params` lists which of
/// `id_token_hint`, `client_id` and `state` the provider takes (default: none).
fn logout_description(object: &Map<String, Value>) -> Result<LogoutDescription, ConfigError> {
    let field = "logout";
    let wrong = |expected| ConfigError::WrongType { field, expected };
    let endpoint = match object.get("endpoint") {
        Some(Value::String(text)) => parse_absolute(field, text)?,
        _ => return Err(wrong("an object whose `endpoint` is a URL")),
    };
    if !is_secure_url(&endpoint) {
        return Err(ConfigError::Insecure { field });
    }
    let return_param = match object.get("return_param") {
        Some(Value::String(name)) if !name.is_empty() && name.trim() == name => name.clone(),
        _ => return Err(wrong("an object whose `return_param` names a parameter")),
    };
    let params =
        string_list(object, "params").map_err(|_| wrong("an object whose `params` is a list"))?;
    let mut described = LogoutDescription {
        endpoint,
        return_param,
        id_token_hint: false,
        client_id: false,
        state: false,
    };
    for param in &params {
        match param.as_str() {
            "id_token_hint" => described.id_token_hint = true,
            "client_id" => described.client_id = true,
            "state" => described.state = true,
            _ => {
                return Err(wrong(
                    "an object whose `params` lists id_token_hint, client_id or state",
                ));
            }
        }
    }
    Ok(described)
}

/// `resource`: one absolute URI or an array of them, none with a fragment (RFC 8707 2).
fn resources(object: &Map<String, Value>) -> Result<Vec<String>, ConfigError> {
    let field = "resource";
    let list = match object.get(field) {
        Some(Value::String(_)) => vec![optional_string(object, field)?.unwrap_or_default()],
        _ => string_list(object, field)?,
    };
    for uri in &list {
        if parse_absolute(field, uri)?.fragment().is_some() {
            return Err(ConfigError::Fragment { field });
        }
    }
    Ok(list)
}

/// The origin an `api_origins` entry names: scheme, host and port only, https (or http on loopback).
fn origin_of(text: &str) -> Result<String, ConfigError> {
    let field = "api_origins";
    let url = parse_absolute(field, text)?;
    if !is_secure_url(&url) {
        return Err(ConfigError::Insecure { field });
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::NotAnOrigin { field });
    }
    Ok(url.origin().ascii_serialization())
}

/// An optional non-negative number of seconds.
fn seconds(
    object: &Map<String, Value>,
    field: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value.as_u64().ok_or(ConfigError::WrongType {
            field,
            expected: "a non-negative integer",
        }),
    }
}

/// https everywhere; plain http only on loopback hosts, for local development (the loopback exception of RFC 8252
/// 7.3 and 8.3). The issuer is "a case-sensitive URL using the https scheme" (OIDC Core 1.2) and tokens must only
/// travel over TLS (OIDC Core 3.1.3, 16.17). Anything else (ftp:, javascript:, data:) is refused.
pub fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
            Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
            None => false,
        },
        _ => false,
    }
}

/// Splits on whitespace, drops duplicates, and puts `openid` first when it is missing: without it the request is
/// plain OAuth and no ID token comes back (OIDC Core 3.1.2.1).
fn scope_with_openid(scope: &str) -> String {
    let mut scopes: Vec<&str> = Vec::new();
    for item in scope.split_whitespace() {
        if !scopes.contains(&item) {
            scopes.push(item);
        }
    }
    if !scopes.contains(&"openid") {
        scopes.insert(0, "openid");
    }
    scopes.join(" ")
}

fn required_string(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<String, ConfigError> {
    optional_string(object, field)?.ok_or(ConfigError::Missing { field })
}

/// `null` counts as absent; a present value must be a non-empty string without surrounding whitespace (a stray
/// space would silently break the exact issuer comparison later).
fn optional_string(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, ConfigError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Err(ConfigError::Empty { field }),
        Some(Value::String(text)) if text.trim() != text => Err(ConfigError::Whitespace { field }),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ConfigError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// An optional array of strings, each held to the rules of [`optional_string`]; absent or `null` is empty.
fn string_list(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<Vec<String>, ConfigError> {
    let wrong_type = || ConfigError::WrongType {
        field,
        expected: "an array of strings",
    };
    match object.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) if text.is_empty() => Err(ConfigError::Empty { field }),
                Value::String(text) if text.trim() != text => {
                    Err(ConfigError::Whitespace { field })
                }
                Value::String(text) => Ok(text.clone()),
                _ => Err(wrong_type()),
            })
            .collect(),
        Some(_) => Err(wrong_type()),
    }
}

fn parse_absolute(field: &'static str, text: &str) -> Result<Url, ConfigError> {
    Url::parse(text).map_err(|source| ConfigError::NotAUrl { field, source })
}

/// Redirect URIs are compared exactly by the provider (RFC 9700 2.1; OAuth 2.1 / RFC 10017 6.3.3.2.1); they must
/// be secure and fragment-free (RFC 6749 3.1.2).
fn check_redirect(field: &'static str, url: &Url) -> Result<(), ConfigError> {
    if !is_secure_url(url) {
        return Err(ConfigError::Insecure { field });
    }
    if url.fragment().is_some() {
        return Err(ConfigError::Fragment { field });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
