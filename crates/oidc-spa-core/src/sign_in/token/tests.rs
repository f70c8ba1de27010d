//! The unit tests of `token`, beside it: the file is mostly tests.

use super::*;
use crate::testing::{FakeHttpError, config, metadata, respond};
use futures::executor::block_on;
use oauth2::HttpResponse;
use oauth2::http::{Method, header};

const TOKEN_URL: &str = "https://id.example/realms/demo/protocol/openid-connect/token";

fn form(request: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.body())
        .into_owned()
        .collect()
}

/// Runs the exchange against a fake token endpoint that checks the request and answers `status` + `body`.
fn exchange(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<TokenResponse, TokenError> {
    let client = |request: HttpRequest| {
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri().to_string(), TOKEN_URL);
        assert!(request.headers().get(header::AUTHORIZATION).is_none());
        assert_eq!(request.headers()[header::ACCEPT], "application/json");
        assert_eq!(
            request.headers()[header::CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            form(&request),
            [
                ("grant_type", "authorization_code"),
                ("code", "the-code"),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
                ),
                ("client_id", "spa"),
                ("redirect_uri", "https://app.example/callback"),
            ]
            .map(|(name, value)| (name.to_string(), value.to_string()))
        );
        respond(status, content_type, body)
    };
    block_on(exchange_code(
        &client,
        &config(),
        &metadata(),
        AuthorizationCode::new("the-code".into()),
        &PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
        TokenType::Bearer,
    ))
}

const JSON: Option<&str> = Some("application/json;charset=UTF-8");

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn successful_exchange() {
    let tokens = exchange(
        200,
        JSON,
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":300,"refresh_token":"rt-1",
            "scope":"openid email","id_token":"h.c.s","not-before-policy":0}"#,
    )
    .unwrap();
    assert_eq!(tokens.access_token.secret(), "at-1");
    assert_eq!(tokens.id_token.secret(), "h.c.s");
    assert_eq!(
        tokens.refresh_token.as_ref().map(RefreshToken::secret),
        Some("rt-1")
    );
    assert_eq!(tokens.expires_in, Some(300));
    assert_eq!(
        tokens.scopes,
        Some(vec!["openid".to_string(), "email".to_string()])
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn optional_fields_may_be_absent_and_bearer_is_case_insensitive() {
    for token_type in ["bearer", "BEARER", "Bearer"] {
        let body =
            format!(r#"{{"access_token":"at","token_type":"{token_type}","id_token":"h.c.s"}}"#);
        let tokens = exchange(200, None, &body).unwrap();
        assert_eq!(tokens.refresh_token, None);
        assert_eq!(tokens.expires_in, None);
        assert_eq!(tokens.scopes, None);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn provider_error_is_typed_and_keeps_the_description() {
    let error = exchange(
        400,
        JSON,
        r#"{"error":"invalid_grant","error_description":"Code not valid","error_uri":"https://id.example/e"}"#,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the token endpoint refused the request: invalid_grant"
    );
    match error {
        TokenError::Provider {
            error,
            description,
            uri,
            status,
            retry_after,
        } => {
            assert_eq!((status, retry_after), (400, None));
            assert_eq!(error, "invalid_grant");
            assert_eq!(description.as_deref(), Some("Code not valid"));
            assert_eq!(uri.as_deref(), Some("https://id.example/e"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn server_error_page_gives_the_status_not_the_body() {
    let body = "<html><body>secret-in-body at-1 stack trace</body></html>";
    for content_type in [Some("text/html"), None] {
        let error = exchange(500, content_type, body).unwrap_err();
        assert!(
            matches!(error, TokenError::Status { status: 500, .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the token endpoint answered with HTTP status 500"
        );
        assert!(!format!("{error:?}").contains("secret-in-body"));
    }
    let error = exchange(502, JSON, "").unwrap_err();
    assert!(
        matches!(error, TokenError::Status { status: 502, .. }),
        "{error:?}"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn non_json_success_is_malformed_without_the_body() {
    let error = exchange(200, None, "access_token=at-secret&token_type=bearer").unwrap_err();
    assert!(matches!(error, TokenError::Malformed { .. }), "{error:?}");
    let chain = error_chain(&error);
    assert!(!chain.contains("at-secret"), "{chain}");

    let error = exchange(200, Some("text/html"), "<html>at-secret</html>").unwrap_err();
    assert!(matches!(error, TokenError::NotJson), "{error:?}");
    assert!(!error_chain(&error).contains("at-secret"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn token_type_must_be_bearer() {
    let error = exchange(
        200,
        JSON,
        r#"{"access_token":"at-secret","token_type":"mac","id_token":"h.c.s"}"#,
    )
    .unwrap_err();
    assert!(matches!(&error, TokenError::WrongTokenType { token_type, .. } if token_type == "mac"));
    let error = exchange(
        200,
        JSON,
        r#"{"access_token":"at-secret","token_type":"DPoP","id_token":"h.c.s"}"#,
    )
    .unwrap_err();
    assert!(matches!(error, TokenError::WrongTokenType { .. }));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_request_with_a_dpop_proof_takes_only_a_dpop_token() {
    let answering = |token_type: &'static str| {
        move |_request: HttpRequest| {
            let body = format!(
                r#"{{"access_token":"at-secret","token_type":"{token_type}","id_token":"h.c.s"}}"#
            );
            respond(200, JSON, &body)
        }
    };
    let exchange_as = |token_type, expected| {
        block_on(exchange_code(
            &answering(token_type),
            &config(),
            &metadata(),
            AuthorizationCode::new("the-code".into()),
            &PkceVerifier::new("v".repeat(43)),
            expected,
        ))
    };
    let refresh_as = |token_type, expected| {
        block_on(refresh_tokens(
            &answering(token_type),
            &config(),
            &metadata(),
            &RefreshToken::new("rt-old".into()),
            expected,
        ))
    };
    for token_type in ["DPoP", "dpop"] {
        assert!(exchange_as(token_type, TokenType::Dpop).is_ok());
        assert!(refresh_as(token_type, TokenType::Dpop).is_ok());
    }
    // RFC 9449 5: a Bearer token where a bound one was asked for is refused, on both grants.
    let error = exchange_as("Bearer", TokenType::Dpop).unwrap_err();
    assert!(
        matches!(&error, TokenError::WrongTokenType { expected: "DPoP", token_type } if token_type == "Bearer"),
        "{error:?}"
    );
    assert!(matches!(
        refresh_as("Bearer", TokenType::Dpop),
        Err(TokenError::WrongTokenType { .. })
    ));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn id_token_is_required() {
    for body in [
        r#"{"access_token":"at-secret","token_type":"Bearer"}"#,
        r#"{"access_token":"at-secret","token_type":"Bearer","id_token":""}"#,
    ] {
        let error = exchange(200, JSON, body).unwrap_err();
        assert!(matches!(error, TokenError::MissingIdToken), "{error:?}");
    }
    let error = exchange(
        200,
        JSON,
        r#"{"access_token":"","token_type":"Bearer","id_token":"h.c.s"}"#,
    )
    .unwrap_err();
    assert!(matches!(error, TokenError::MissingAccessToken));
    let error = exchange(200, JSON, r#"{"token_type":"Bearer","id_token":"h.c.s"}"#).unwrap_err();
    assert!(
        matches!(&error, TokenError::Malformed { path, .. } if *path == "."),
        "{error:?}"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn transport_failure_keeps_its_cause() {
    let client = |_request: HttpRequest| async { Err::<HttpResponse, _>(FakeHttpError) };
    let error = block_on(exchange_code(
        &client,
        &config(),
        &metadata(),
        AuthorizationCode::new("the-code".into()),
        &PkceVerifier::new("v".repeat(43)),
        TokenType::Bearer,
    ))
    .unwrap_err();
    assert!(matches!(error, TokenError::Http(_)));
    assert_eq!(
        error_chain(&error),
        "the token request could not be sent: network down"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mistyped_values_are_not_quoted_in_the_error_chain() {
    // serde would say `invalid type: string "rt-secret", expected u64`; the chain must not. The position is
    // where the object was closed: a member's type is checked once its value has been read.
    let error = exchange(
        200,
        JSON,
        r#"{"access_token":"at","token_type":"Bearer","id_token":"h.c.s","expires_in":"rt-secret"}"#,
    )
    .unwrap_err();
    let chain = error_chain(&error);
    assert!(!chain.contains("rt-secret"), "{chain}");
    assert_eq!(
        chain,
        "the token response is malformed (at `expires_in`): a value has the wrong type or format at line 1 column 87"
    );
}

// RFC 6749 5.1/5.2 rules the oauth2 crate's endpoint response enforced, one test each (see the module docs).

fn token_body(extra: &str) -> String {
    format!(r#"{{"access_token":"at-secret","token_type":"Bearer","id_token":"h.c.s"{extra}}}"#)
}

fn malformed_at(result: Result<TokenResponse, TokenError>) -> (&'static str, String) {
    match result {
        Err(error @ TokenError::Malformed { path, .. }) => {
            let chain = error_chain(&error);
            assert!(!chain.contains("secret"), "{chain}");
            (path, chain)
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn only_status_200_is_a_token_response() {
    // A 2xx other than 200 with a token body is not a success (the oauth2 crate accepted exactly 200).
    let error = exchange(201, JSON, &token_body("")).unwrap_err();
    assert!(
        matches!(error, TokenError::Status { status: 201, .. }),
        "{error:?}"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn error_responses_are_read_whatever_their_content_type_and_status() {
    for (status, content_type) in [(400, Some("text/plain")), (401, None), (500, JSON)] {
        let error = exchange(status, content_type, r#"{"error":"invalid_client"}"#).unwrap_err();
        assert!(
            matches!(&error, TokenError::Provider { error, description: None, uri: None, .. } if error == "invalid_client"),
            "{error:?}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn an_error_response_needs_a_string_error_and_ignores_unknown_members() {
    let error = exchange(
        400,
        JSON,
        r#"{"error":"invalid_grant","error_codes":[70008],"trace":{"id":1},"error_description":"expired"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&error, TokenError::Provider { error, description: Some(d), .. } if error == "invalid_grant" && d == "expired"),
        "{error:?}"
    );
    for body in [
        r#"{"error_description":"no error code"}"#,
        r#"{"error":400}"#,
        r#"{"error":null}"#,
        r#"{"error":"a","error_description":7}"#,
        r#"{"error":"a","error_uri":["x"]}"#,
        r#"{"error":"a","error":"b"}"#,
        r#"["invalid_grant"]"#,
    ] {
        let error = exchange(400, JSON, body).unwrap_err();
        assert!(
            matches!(error, TokenError::Status { status: 400, .. }),
            "{body}: {error:?}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_success_must_be_application_json_in_any_case_or_untyped() {
    for content_type in [
        "application/json",
        "Application/JSON; charset=utf-8",
        "APPLICATION/JSON",
    ] {
        assert!(
            exchange(200, Some(content_type), &token_body("")).is_ok(),
            "{content_type}"
        );
    }
    assert!(exchange(200, None, &token_body("")).is_ok());
    for content_type in [
        "text/plain",
        "application/jso",
        "application/x-www-form-urlencoded",
        "",
    ] {
        let error = exchange(200, Some(content_type), &token_body("")).unwrap_err();
        assert!(
            matches!(error, TokenError::NotJson),
            "{content_type}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the token response is not application/json"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn an_empty_success_body_is_malformed() {
    let (path, chain) = malformed_at(exchange(200, JSON, ""));
    assert_eq!(path, ".");
    assert!(
        chain.ends_with("the JSON ends early at line 1 column 0"),
        "{chain}"
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn access_token_and_token_type_are_required_strings() {
    for (body, field) in [
        (
            r#"{"token_type":"Bearer","id_token":"h.c.s"}"#,
            "access_token",
        ),
        (
            r#"{"access_token":"at-secret","id_token":"h.c.s"}"#,
            "token_type",
        ),
        (
            r#"{"access_token":null,"token_type":"Bearer"}"#,
            "access_token",
        ),
    ] {
        let (path, chain) = malformed_at(exchange(200, JSON, body));
        assert_eq!(path, ".");
        assert!(
            chain.contains(&format!("missing field `{field}`")),
            "{chain}"
        );
    }
    for (body, field) in [
        (
            r#"{"access_token":12,"token_type":"Bearer"}"#,
            "access_token",
        ),
        (
            r#"{"access_token":"at-secret","token_type":["Bearer"]}"#,
            "token_type",
        ),
    ] {
        let (path, chain) = malformed_at(exchange(200, JSON, body));
        assert_eq!(path, field);
        assert!(
            chain.contains("a value has the wrong type or format"),
            "{chain}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn token_type_is_kept_as_sent_and_compared_without_case() {
    let tokens = exchange(200, JSON, &token_body("").replace("Bearer", "bEaReR")).unwrap();
    assert_eq!(tokens.token_type, "bEaReR");
    // Exactly the six letters, in any ASCII case: no look-alike (Cyrillic `е`), padding or prefix.
    for look_alike in [
        "B\u{0435}arer",
        "Bearer\\u0000",
        "Bearer ",
        "bear",
        "bearers",
    ] {
        let error = exchange(200, JSON, &token_body("").replace("Bearer", look_alike)).unwrap_err();
        assert!(
            matches!(error, TokenError::WrongTokenType { .. }),
            "{look_alike}: {error:?}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn expires_in_is_a_non_negative_integer_or_null() {
    let tokens = exchange(200, JSON, &token_body(r#","expires_in":null"#)).unwrap();
    assert_eq!(tokens.expires_in, None);
    let tokens = exchange(200, JSON, &token_body(r#","expires_in":0"#)).unwrap();
    assert_eq!(tokens.expires_in, Some(0));
    for value in [
        r#""300""#,
        "-1",
        "1.5",
        "3e2",
        "true",
        "18446744073709551616",
    ] {
        let (path, _) = malformed_at(exchange(
            200,
            JSON,
            &token_body(&format!(r#","expires_in":{value}"#)),
        ));
        assert_eq!(path, "expires_in", "{value}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn scope_is_a_space_separated_string() {
    let tokens = exchange(
        200,
        JSON,
        &token_body(r#","scope":"openid  email offline_access""#),
    )
    .unwrap();
    assert_eq!(
        tokens.scopes,
        Some(vec![
            "openid".to_string(),
            "email".to_string(),
            "offline_access".to_string()
        ])
    );
    let tokens = exchange(200, JSON, &token_body(r#","scope":null"#)).unwrap();
    assert_eq!(tokens.scopes, None);
    for value in [r#"["openid"]"#, "1"] {
        let (path, _) = malformed_at(exchange(
            200,
            JSON,
            &token_body(&format!(r#","scope":{value}"#)),
        ));
        assert_eq!(path, "scope", "{value}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn optional_tokens_must_be_strings() {
    for (body, field) in [
        (token_body(r#","refresh_token":1"#), "refresh_token"),
        (
            r#"{"access_token":"at-secret","token_type":"Bearer","id_token":{"a":1}}"#.to_owned(),
            "id_token",
        ),
    ] {
        let (path, _) = malformed_at(exchange(200, JSON, &body));
        assert_eq!(path, field);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn unknown_members_of_any_type_are_ignored() {
    let tokens = exchange(
        200,
        JSON,
        &token_body(
            r#","session_state":"x","nested":{"access_token":5,"a":[1,{"b":null}]},"error":3,"n":1.5e3,"t":true"#,
        ),
    )
    .unwrap();
    assert_eq!(tokens.access_token.secret(), "at-secret");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn repeated_members_are_refused() {
    for (extra, field) in [
        (r#","access_token":"at-2""#, "access_token"),
        (r#","token_type":"mac""#, "token_type"),
        (r#","id_token":"h2.c.s""#, "id_token"),
        (r#","expires_in":1,"expires_in":2"#, "expires_in"),
    ] {
        let (path, chain) = malformed_at(exchange(200, JSON, &token_body(extra)));
        assert_eq!(path, field);
        assert!(
            chain.contains(&format!("duplicate field `{field}`")),
            "{chain}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_body_is_one_object_and_nothing_else() {
    for body in [
        r#"["at-secret","Bearer"]"#.to_owned(),
        r#""at-secret""#.to_owned(),
        format!("{} x", token_body("")),
        format!("{}{{}}", token_body("")),
    ] {
        let (path, _) = malformed_at(exchange(200, JSON, &body));
        assert_eq!(path, ".", "{body}");
    }
    // Every JSON value that is not an object is refused as a value of the wrong type, never quoted.
    for body in [
        "null",
        "true",
        "5",
        "-5",
        "1.5e300",
        r#""at-secret""#,
        r#"["at-secret"]"#,
    ] {
        let (path, chain) = malformed_at(exchange(200, JSON, body));
        assert_eq!(path, ".", "{body}");
        assert!(
            chain.contains(": a value has the wrong type or format at line 1 column "),
            "{body}: {chain}"
        );
    }
    assert!(exchange(200, JSON, &format!(" \n{}\n ", token_body(""))).is_ok());
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn refresh(status: u16, body: &str) -> Result<RefreshResponse, TokenError> {
    refresh_answered(status, None, body)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn refresh_sends_the_refresh_grant_and_reads_a_rotated_token() {
    let tokens = refresh(
        200,
        r#"{"access_token":"at-2","token_type":"Bearer","expires_in":60,"refresh_token":"rt-new","id_token":"h.c.s"}"#,
    )
    .unwrap();
    assert_eq!(tokens.access_token.secret(), "at-2");
    assert_eq!(
        tokens.refresh_token.as_ref().map(RefreshToken::secret),
        Some("rt-new")
    );
    assert_eq!(tokens.id_token.as_ref().map(IdToken::secret), Some("h.c.s"));
    assert_eq!(tokens.expires_in, Some(60));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn refresh_may_omit_the_id_token_and_the_refresh_token() {
    let tokens = refresh(200, r#"{"access_token":"at-2","token_type":"bearer"}"#).unwrap();
    assert_eq!(tokens.id_token, None);
    assert_eq!(tokens.refresh_token, None);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn refresh_rejections_are_typed() {
    let error = refresh(
        400,
        r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&error, TokenError::Provider { error, .. } if error == "invalid_grant"),
        "{error:?}"
    );
    assert!(matches!(
        refresh(200, r#"{"access_token":"at-2","token_type":"mac"}"#),
        Err(TokenError::WrongTokenType { .. })
    ));
    assert!(matches!(
        refresh(502, "<html>bad gateway</html>"),
        Err(TokenError::Status { status: 502, .. })
    ));
}

/// A refresh that checks its request and is answered `status` with a JSON `body` and, when given, a
/// `Retry-After` header.
fn refresh_answered(
    status: u16,
    retry_after: Option<&str>,
    body: &str,
) -> Result<RefreshResponse, TokenError> {
    let client = |request: HttpRequest| {
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri().to_string(), TOKEN_URL);
        assert!(request.headers().get(header::AUTHORIZATION).is_none());
        assert_eq!(
            form(&request),
            [
                ("grant_type", "refresh_token"),
                ("refresh_token", "rt-old"),
                ("client_id", "spa"),
            ]
            .map(|(name, value)| (name.to_string(), value.to_string()))
        );
        let mut builder = oauth2::http::Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json;charset=UTF-8");
        if let Some(value) = retry_after {
            builder = builder.header(header::RETRY_AFTER, value);
        }
        std::future::ready(Ok::<_, FakeHttpError>(
            builder.body(body.as_bytes().to_vec()).unwrap(),
        ))
    };
    block_on(refresh_tokens(
        &client,
        &config(),
        &metadata(),
        &RefreshToken::new("rt-old".into()),
        TokenType::Bearer,
    ))
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_refusal_keeps_its_status_and_retry_after_and_classifies_by_them() {
    use crate::lifecycle::fault::{Verdict, classify};
    let error = refresh_answered(
        503,
        Some("7"),
        r#"{"error":"temporarily_unavailable","error_description":"down for a moment"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&error, TokenError::Provider { error, status: 503, retry_after: Some(7), .. }
            if error == "temporarily_unavailable"),
        "{error:?}"
    );
    assert_eq!(classify(error.answer()), Verdict::Transient);
    // A 429 with an OAuth body that names the grant: the status decides, the grant is not judged.
    let error = refresh_answered(429, Some("30"), r#"{"error":"invalid_grant"}"#).unwrap_err();
    assert_eq!(error.retry_after(), Some(30));
    assert_eq!(classify(error.answer()), Verdict::Transient);
    // Without a body, and with a date (not read): the status alone.
    let error = refresh_answered(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), "").unwrap_err();
    assert!(
        matches!(
            error,
            TokenError::Status {
                status: 429,
                retry_after: None
            }
        ),
        "{error:?}"
    );
    assert_eq!(classify(error.answer()), Verdict::Transient);
    // The refusals that end a session or name the configuration.
    let error = refresh_answered(400, None, r#"{"error":"invalid_grant"}"#).unwrap_err();
    assert_eq!(classify(error.answer()), Verdict::GrantGone);
    let error = refresh_answered(401, None, r#"{"error":"invalid_client"}"#).unwrap_err();
    assert_eq!(classify(error.answer()), Verdict::Misconfigured);
    // A 200 that is not a token response never arrived whole: weather.
    let error = refresh_answered(200, None, "<html>").unwrap_err();
    assert_eq!(classify(error.answer()), Verdict::Transient);
    let error =
        refresh_answered(200, None, r#"{"access_token":"at","token_type":"mac"}"#).unwrap_err();
    assert_eq!(classify(error.answer()), Verdict::Refused);
    // No answer at all.
    let lost = block_on(refresh_tokens(
        &|_: HttpRequest| std::future::ready(Err::<HttpResponse, _>(FakeHttpError)),
        &config(),
        &metadata(),
        &RefreshToken::new("rt-old".into()),
        TokenType::Bearer,
    ))
    .unwrap_err();
    assert_eq!(classify(lost.answer()), Verdict::Transient);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_stated_refresh_token_lifetime_is_read_and_zero_or_junk_is_none() {
    let read = |body: &str| refresh(200, body).unwrap().refresh_expires_in;
    let base = r#""access_token":"at","token_type":"Bearer""#;
    assert_eq!(
        read(&format!("{{{base},\"refresh_expires_in\":1800}}")),
        Some(1800)
    );
    assert_eq!(read(&format!("{{{base},\"refresh_expires_in\":0}}")), None);
    assert_eq!(
        read(&format!("{{{base},\"refresh_expires_in\":\"1800\"}}")),
        None
    );
    assert_eq!(read(&format!("{{{base}}}")), None);
}
