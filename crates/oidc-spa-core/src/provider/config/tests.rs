//! The unit tests of `config`, beside it: the file is mostly tests.

use super::*;
use crate::testing::config_with;

fn base() -> Url {
    Url::parse("https://app.example/portal/").unwrap()
}

fn parse(json: &str) -> Result<Config, ConfigError> {
    Config::from_json(json, &base())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn minimal_config_gets_defaults() {
    let config = parse(
        r#"{"issuer": "https://id.example/realms/demo", "client_id": "spa", "future_setting": [1, 2]}"#,
    )
    .unwrap();
    assert_eq!(config.issuer, "https://id.example/realms/demo");
    assert_eq!(config.client_id, "spa");
    assert_eq!(config.scope, "openid profile email");
    assert_eq!(
        config.redirect_uri.as_str(),
        "https://app.example/portal/callback"
    );
    assert_eq!(
        config.post_logout_redirect_uri.as_str(),
        "https://app.example/portal/"
    );
    assert_eq!(config.leeway_seconds, 60);
    assert!(config.trusted_audiences.is_empty());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn trusted_audiences_are_read_in_order() {
    let config = parse(
        r#"{"issuer": "https://id.example", "client_id": "spa",
            "trusted_audiences": ["https://api.example", "billing"]}"#,
    )
    .unwrap();
    assert_eq!(config.trusted_audiences, ["https://api.example", "billing"]);
    for empty in ["[]", "null"] {
        let json = format!(
            r#"{{"issuer": "https://id.example", "client_id": "spa", "trusted_audiences": {empty}}}"#
        );
        assert!(
            parse(&json).unwrap().trusted_audiences.is_empty(),
            "{empty}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn explicit_values_are_kept_and_the_base_query_is_ignored() {
    let base = Url::parse("https://app.example/?code=x#frag").unwrap();
    let config = Config::from_json(
        r#"{"issuer": "http://localhost:8080/realms/demo/", "client_id": "spa",
            "scope": "email  profile", "redirect_uri": "http://127.0.0.1:8000/cb",
            "post_logout_redirect_uri": "http://[::1]:8000/bye", "leeway_seconds": 5}"#,
        &base,
    )
    .unwrap();
    // The trailing slash is kept: the issuer is compared as a string, never normalized.
    assert_eq!(config.issuer, "http://localhost:8080/realms/demo/");
    assert_eq!(config.scope, "openid email profile");
    assert_eq!(config.redirect_uri.as_str(), "http://127.0.0.1:8000/cb");
    assert_eq!(
        config.post_logout_redirect_uri.as_str(),
        "http://[::1]:8000/bye"
    );
    assert_eq!(config.leeway_seconds, 5);

    let defaults = Config::from_json(
        r#"{"issuer": "https://id.example", "client_id": "a"}"#,
        &base,
    )
    .unwrap();
    assert_eq!(
        defaults.redirect_uri.as_str(),
        "https://app.example/callback"
    );
    assert_eq!(
        defaults.post_logout_redirect_uri.as_str(),
        "https://app.example/"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn openid_is_always_requested() {
    assert_eq!(scope_with_openid("profile"), "openid profile");
    assert_eq!(scope_with_openid("profile openid"), "profile openid");
    assert_eq!(scope_with_openid(" openid openid "), "openid");
    let config =
        parse(r#"{"issuer": "https://id.example", "client_id": "spa", "scope": "email"}"#).unwrap();
    assert_eq!(config.scope, "openid email");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn errors_name_the_problem_and_the_field() {
    let cases: &[(&str, &str)] = &[
        (r#"{"client_id": "spa"}"#, "missing field `issuer`"),
        (
            r#"{"issuer": "https://id.example"}"#,
            "missing field `client_id`",
        ),
        (
            r#"{"issuer": 7, "client_id": "spa"}"#,
            "field `issuer` must be a string",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": ""}"#,
            "field `client_id` must not be empty",
        ),
        (
            r#"{"issuer": "id.example", "client_id": "spa"}"#,
            "field `issuer` is not an absolute URL",
        ),
        (
            r#"{"issuer": " https://id.example", "client_id": "spa"}"#,
            "field `issuer` has leading or trailing whitespace",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "leeway_seconds": "60"}"#,
            "field `leeway_seconds` must be a non-negative integer",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "leeway_seconds": 3600}"#,
            "field `leeway_seconds` must be at most 300",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "redirect_uri": "/cb"}"#,
            "field `redirect_uri` is not an absolute URL",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "scope": ["openid"]}"#,
            "field `scope` must be a string",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "trusted_audiences": "api"}"#,
            "field `trusted_audiences` must be an array of strings",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "trusted_audiences": ["api", 7]}"#,
            "field `trusted_audiences` must be an array of strings",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "trusted_audiences": [""]}"#,
            "field `trusted_audiences` must not be empty",
        ),
        (
            r#"{"issuer": "https://id.example", "client_id": "spa", "trusted_audiences": ["api "]}"#,
            "field `trusted_audiences` has leading or trailing whitespace",
        ),
        (r#"[1]"#, "the configuration must be a JSON object"),
        (r#"{"#, "the configuration is not valid JSON"),
    ];
    for (json, message) in cases {
        let error = parse(json).unwrap_err();
        assert_eq!(error.to_string(), *message, "{json}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn http_only_on_loopback() {
    for issuer in [
        "http://id.example",
        "http://127.0.0.2",
        "http://localhost.evil.example",
        "ftp://id.example",
    ] {
        let json = format!(r#"{{"issuer": "{issuer}", "client_id": "spa"}}"#);
        assert!(
            matches!(parse(&json), Err(ConfigError::Insecure { field: "issuer" })),
            "{issuer}"
        );
    }
    let json = r#"{"issuer": "https://id.example", "client_id": "spa", "redirect_uri": "http://app.example/cb"}"#;
    assert!(matches!(
        parse(json),
        Err(ConfigError::Insecure {
            field: "redirect_uri"
        })
    ));
    let json = r#"{"issuer": "https://id.example", "client_id": "spa", "post_logout_redirect_uri": "javascript:alert(1)"}"#;
    assert!(matches!(
        parse(json),
        Err(ConfigError::Insecure {
            field: "post_logout_redirect_uri"
        })
    ));
    let insecure_base = Url::parse("http://app.example/").unwrap();
    let json = r#"{"issuer": "https://id.example", "client_id": "spa"}"#;
    assert!(matches!(
        Config::from_json(json, &insecure_base),
        Err(ConfigError::Insecure {
            field: "redirect_uri"
        })
    ));
    for url in [
        "http://localhost:3000/",
        "http://127.0.0.1/",
        "http://[::1]/",
    ] {
        assert!(is_secure_url(&Url::parse(url).unwrap()), "{url}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn issuer_query_and_redirect_fragment_are_refused() {
    let json = r#"{"issuer": "https://id.example/?tenant=a", "client_id": "spa"}"#;
    assert!(matches!(
        parse(json),
        Err(ConfigError::IssuerQueryOrFragment)
    ));
    let json = r#"{"issuer": "https://id.example", "client_id": "spa", "redirect_uri": "https://app.example/cb#x"}"#;
    assert!(matches!(
        parse(json),
        Err(ConfigError::Fragment {
            field: "redirect_uri"
        })
    ));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn renewal_settings_default_and_parse() {
    let minimal = parse(r#"{"issuer": "https://id.example", "client_id": "spa"}"#).unwrap();
    assert_eq!(minimal.renew_margin_seconds, DEFAULT_RENEW_MARGIN_SECONDS);
    assert!(!minimal.scope.contains("offline_access"));

    let set = parse(
        r#"{"issuer": "https://id.example", "client_id": "spa", "renew_margin_seconds": 5,
            "offline_access": true, "scope": "openid email"}"#,
    )
    .unwrap();
    assert_eq!(set.renew_margin_seconds, 5);
    assert_eq!(set.scope, "openid email offline_access");

    let twice = parse(
        r#"{"issuer": "https://id.example", "client_id": "spa", "offline_access": true,
            "scope": "openid offline_access"}"#,
    )
    .unwrap();
    assert_eq!(twice.scope, "openid offline_access");

    for (json, field) in [
        (r#""renew_margin_seconds": -1"#, "renew_margin_seconds"),
        (r#""offline_access": "yes""#, "offline_access"),
    ] {
        let error = parse(&format!(
            r#"{{"issuer": "https://id.example", "client_id": "spa", {json}}}"#
        ))
        .unwrap_err();
        assert!(error.to_string().contains(field), "{error}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn logout_method_defaults_to_get_and_accepts_post() {
    assert_eq!(config_with("").unwrap().logout_method, LogoutMethod::Get);
    let get = config_with(r#", "logout_method": "get""#).unwrap();
    assert_eq!(get.logout_method, LogoutMethod::Get);
    let post = config_with(r#", "logout_method": "post""#).unwrap();
    assert_eq!(post.logout_method, LogoutMethod::Post);
    for wrong in [r#""POST""#, r#""delete""#, "true"] {
        let error = config_with(&format!(r#", "logout_method": {wrong}"#)).unwrap_err();
        assert!(error.to_string().contains("logout_method"), "{error}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn authorization_parameters_api_origins_and_the_apps_own_settings() {
    let minimal = config_with("").unwrap();
    assert_eq!(minimal.params, AuthorizationParams::default());
    assert!(
        minimal.api_origins.is_empty(),
        "no origin unless listed, not even the app's own"
    );
    assert_eq!(minimal.setting("title"), None);

    let full = config_with(
        r#", "audience": "https://api.example", "resource": "https://api.example/", "prompt": "login",
           "login_hint": "alice", "ui_locales": "fr en", "acr_values": "urn:mace:incommon:iap:silver",
           "max_age": 300, "api_origins": ["https://api.example/", "http://127.0.0.1:9200"],
           "title": "Demo", "api_url": "https://api.example/me""#,
    )
    .unwrap();
    assert_eq!(full.params.audience.as_deref(), Some("https://api.example"));
    assert_eq!(full.params.resource, ["https://api.example/"]);
    assert_eq!(full.params.prompt.as_deref(), Some("login"));
    assert_eq!(full.params.login_hint.as_deref(), Some("alice"));
    assert_eq!(full.params.ui_locales.as_deref(), Some("fr en"));
    assert_eq!(
        full.params.acr_values.as_deref(),
        Some("urn:mace:incommon:iap:silver")
    );
    assert_eq!(full.params.max_age, Some(300));
    assert_eq!(
        full.api_origins,
        ["https://api.example", "http://127.0.0.1:9200"]
    );
    // The app's own settings, as given: the library reads and checks none of them.
    assert_eq!(full.setting("title"), Some(&Value::from("Demo")));
    assert_eq!(
        full.setting("api_url"),
        Some(&Value::from("https://api.example/me"))
    );
    let two = config_with(r#", "resource": ["https://a.example/", "urn:example:b"]"#).unwrap();
    assert_eq!(two.params.resource, ["https://a.example/", "urn:example:b"]);
    assert!(
        config_with(r#", "api_origins": []"#)
            .unwrap()
            .api_origins
            .is_empty()
    );

    for (extra, field) in [
        (
            r#", "api_origins": ["https://api.example/v1"]"#,
            "api_origins",
        ),
        (r#", "api_origins": ["http://api.example"]"#, "api_origins"),
        (r#", "api_origins": "https://api.example""#, "api_origins"),
        (r#", "resource": "https://api.example/#frag""#, "resource"),
        (r#", "resource": "not a uri""#, "resource"),
        (r#", "max_age": -1"#, "max_age"),
        (r#", "prompt": 1"#, "prompt"),
    ] {
        let error = config_with(extra).unwrap_err();
        assert!(error.to_string().contains(field), "{extra}: {error}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn endpoints_parse_with_the_url_rules() {
    assert_eq!(config_with("").unwrap().endpoints, Endpoints::default());
    let given = config_with(
        r#", "token_endpoint": "https://id.example/token", "end_session_endpoint": "http://127.0.0.1:9/logout",
           "id_token_signing_alg_values_supported": ["RS256", "ES256"]"#,
    )
    .unwrap()
    .endpoints;
    assert_eq!(
        given.token_endpoint.unwrap().as_str(),
        "https://id.example/token"
    );
    assert_eq!(
        given.end_session_endpoint.unwrap().as_str(),
        "http://127.0.0.1:9/logout"
    );
    assert_eq!(
        given.id_token_signing_alg_values_supported.unwrap(),
        ["RS256", "ES256"]
    );
    for (extra, field) in [
        (
            r#", "token_endpoint": "http://id.example/token""#,
            "token_endpoint",
        ),
        (r#", "jwks_uri": "keys""#, "jwks_uri"),
        (
            r#", "id_token_signing_alg_values_supported": "RS256""#,
            "id_token_signing_alg_values_supported",
        ),
    ] {
        let error = config_with(extra).unwrap_err();
        assert!(error.to_string().contains(field), "{extra}: {error}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn dpop_true_requires_it_and_if_supported_falls_back() {
    let dpop = |extra: &str| config_with(extra).map(|config| config.dpop);
    assert_eq!(dpop("").unwrap(), Dpop::Off);
    assert_eq!(dpop(r#", "dpop": null"#).unwrap(), Dpop::Off);
    assert_eq!(dpop(r#", "dpop": false"#).unwrap(), Dpop::Off);
    assert_eq!(dpop(r#", "dpop": true"#).unwrap(), Dpop::Required);
    assert_eq!(
        dpop(r#", "dpop": "if-supported""#).unwrap(),
        Dpop::IfSupported
    );
    for wrong in [
        r#", "dpop": "yes""#,
        r#", "dpop": 1"#,
        r#", "dpop": "required""#,
    ] {
        assert!(
            matches!(
                dpop(wrong),
                Err(ConfigError::WrongType { field: "dpop", .. })
            ),
            "{wrong}"
        );
    }
    // The proof algorithms can be pinned, for pinned endpoints or a discovery document that leaves them out.
    let pinned = config_with(
        r#", "authorization_endpoint": "https://id.example/auth", "token_endpoint": "https://id.example/token",
           "jwks_uri": "https://id.example/jwks", "dpop_signing_alg_values_supported": ["ES256"]"#,
    )
    .unwrap();
    let metadata = pinned
        .endpoints
        .metadata("https://id.example")
        .unwrap()
        .unwrap();
    assert!(metadata.binds_dpop());
    let without = config_with(
        r#", "authorization_endpoint": "https://id.example/auth", "token_endpoint": "https://id.example/token",
           "jwks_uri": "https://id.example/jwks""#,
    )
    .unwrap();
    assert!(
        !without
            .endpoints
            .metadata("https://id.example")
            .unwrap()
            .unwrap()
            .binds_dpop()
    );
    assert!(config_with(r#", "dpop_signing_alg_values_supported": "ES256""#).is_err());
}

#[test]
fn more_providers_are_configurations_of_their_own_each_named() {
    let config = parse(
        r#"{"issuer": "https://id.example", "client_id": "spa", "title": "Demo",
            "providers": [
              {"name": "staff", "issuer": "https://staff.example/realms/x", "client_id": "spa", "dpop": true},
              {"name": "partners", "issuer": "https://partners.example", "client_id": "p"}
            ]}"#,
    )
    .unwrap();
    assert_eq!(config.name, None);
    assert_eq!(config.instance(), "spa@/portal/callback");
    let [staff, partners] = &config.providers[..] else {
        panic!("two providers: {:?}", config.providers);
    };
    assert_eq!(
        (staff.name.as_deref(), staff.issuer.as_str(), staff.dpop),
        (
            Some("staff"),
            "https://staff.example/realms/x",
            Dpop::Required
        )
    );
    // The same client and redirect URI as the main one, and still a name of its own for everything it keeps.
    assert_eq!(staff.instance(), "spa@/portal/callback#staff");
    assert_eq!(partners.instance(), "p@/portal/callback#partners");
    assert_eq!(staff.redirect_uri, config.redirect_uri);
    assert!(staff.providers.is_empty());
    assert!(
        parse(r#"{"issuer": "https://id.example", "client_id": "spa", "providers": []}"#)
            .unwrap()
            .providers
            .is_empty()
    );

    let entry_error = |providers: &str| {
        let json = format!(
            r#"{{"issuer": "https://id.example", "client_id": "spa", "providers": {providers}}}"#
        );
        match parse(&json) {
            Err(ConfigError::Provider { index, source }) => (index, source.to_string()),
            other => panic!("{providers}: {other:?}"),
        }
    };
    let named = r#"{"name": "a", "issuer": "https://a.example", "client_id": "spa"}"#;
    assert_eq!(
        entry_error(r#"[{"issuer": "https://a.example", "client_id": "spa"}]"#),
        (0, "missing field `name`".to_owned())
    );
    assert_eq!(
        entry_error(&format!("[{named}, {named}]")).0,
        1,
        "two entries of one name"
    );
    assert!(
        entry_error(r#"[{"name": "main", "issuer": "https://a.example", "client_id": "spa"}]"#)
            .1
            .contains("`main`")
    );
    assert_eq!(
        entry_error(r#"[{"name": "a", "issuer": "http://a.example", "client_id": "spa"}]"#).1,
        "field `issuer` must use https (http is allowed only for localhost, 127.0.0.1 and [::1])"
    );
    assert_eq!(
        entry_error(r#"["a"]"#),
        (0, "the configuration must be a JSON object".to_owned())
    );
    assert!(
        entry_error(&format!(
            r#"[{{"name": "a", "issuer": "https://a.example", "client_id": "spa", "providers": [{named}]}}]"#
        ))
        .1
        .contains("cannot list providers")
    );
    assert!(matches!(
        parse(r#"{"issuer": "https://id.example", "client_id": "spa", "providers": {}}"#),
        Err(ConfigError::WrongType {
            field: "providers",
            ..
        })
    ));
    for name in ["a:b", "a b", "a#b", "é"] {
        let entry =
            format!(r#"[{{"name": "{name}", "issuer": "https://a.example", "client_id": "spa"}}]"#);
        assert!(entry_error(&entry).1.contains("letters, digits"), "{name}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn providers_on_one_redirect_uri_are_told_apart_by_iss() {
    let config = parse(
        r#"{"issuer": "https://id.example", "client_id": "spa",
            "providers": [
              {"name": "shared", "issuer": "https://a.example", "client_id": "spa"},
              {"name": "own", "issuer": "https://b.example", "client_id": "spa",
               "redirect_uri": "https://app.example/portal/callback/own"}
            ]}"#,
    )
    .unwrap();
    let flags: Vec<bool> = std::iter::once(&config)
        .chain(config.providers.iter().map(|provider| &**provider))
        .map(|config| config.shares_redirect_uri)
        .collect();
    assert_eq!(flags, [true, true, false]);
    assert!(
        !parse(r#"{"issuer": "https://id.example", "client_id": "spa"}"#)
            .unwrap()
            .shares_redirect_uri
    );
}
