//! Browser tests of the thin effects layer: sessionStorage and the address bar, in a real browser.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew_oidc_spa::browser::location;
use yew_oidc_spa::browser::storage::{self, Stored, keys};
use yew_oidc_spa::oidc::authorize::PendingSignIn;
use yew_oidc_spa::oidc::secret::{Nonce, PkceVerifier, State};

wasm_bindgen_test_configure!(run_in_browser);

fn session_storage() -> web_sys::Storage {
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .expect("sessionStorage")
}

/// Each test starts from an empty sessionStorage and a clean address bar.
fn reset() {
    session_storage().clear().expect("clear");
}

fn pending(state: &str) -> PendingSignIn {
    PendingSignIn {
        state: State::new(state.to_owned()),
        nonce: Nonce::new("n-0S6_WzA2Mj".to_owned()),
        verifier: PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned()),
        issuer: "https://issuer.example".to_owned(),
        client_id: "spa".to_owned(),
        redirect_uri: "https://app.example/callback".to_owned(),
        return_to: "/profile".to_owned(),
        created_at: 1_700_000_000,
        max_age: None,
        dpop_key_id: None,
        acr_values: None,
    }
}

#[wasm_bindgen_test]
fn pending_sign_in_round_trips_and_is_single_use() {
    reset();
    let record = pending("state-one");
    storage::save_pending(&record).expect("save");
    storage::save_pending(&pending("state-two")).expect("save");

    let Stored::Found(read) = storage::take_pending(&State::new("state-one".to_owned())) else {
        panic!("the pending record was not found");
    };
    assert_eq!(read.state, record.state);
    assert_eq!(read.verifier, record.verifier);
    assert_eq!(read.return_to, "/profile");

    // Read once, gone: a replayed callback finds nothing.
    assert_eq!(
        storage::take_pending(&State::new("state-one".to_owned())),
        Stored::Missing
    );
    // Other pending sign-ins (another tab's flow) are untouched.
    assert!(matches!(
        storage::take_pending(&State::new("state-two".to_owned())),
        Stored::Found(_)
    ));
}

#[wasm_bindgen_test]
fn unknown_state_finds_no_pending_record() {
    reset();
    storage::save_pending(&pending("real")).expect("save");
    assert_eq!(
        storage::take_pending(&State::new("forged".to_owned())),
        Stored::Missing
    );
}

#[wasm_bindgen_test]
fn garbage_is_reported_and_removed_never_a_crash() {
    reset();
    let s = session_storage();
    s.set_item(&keys::session(), "{not json").expect("set");
    s.set_item(&format!("{}x", keys::pending()), "42")
        .expect("set");

    assert!(matches!(storage::load_session(), Stored::Garbage));
    assert_eq!(s.get_item(&keys::session()).expect("get"), None);
    assert_eq!(
        storage::take_pending(&State::new("x".to_owned())),
        Stored::Garbage
    );
    assert!(storage::own_keys().is_empty());
}

#[wasm_bindgen_test]
fn clear_all_removes_only_the_apps_keys() {
    reset();
    let s = session_storage();
    storage::save_pending(&pending("a")).expect("save");
    storage::save_logout_state(&State::new("b".to_owned())).expect("save");
    s.set_item("someone-else", "keep me").expect("set");
    assert_eq!(storage::own_keys().len(), 2);

    storage::clear_all();

    assert!(storage::own_keys().is_empty());
    assert_eq!(
        s.get_item("someone-else").expect("get").as_deref(),
        Some("keep me")
    );
}

/// Two apps on one origin (two paths of one site), or two providers of one app: each reads, prunes and clears its
/// own records only.
#[wasm_bindgen_test]
fn two_instances_on_one_origin_never_touch_each_others_records() {
    reset();
    for other in ["spa@/other/callback", "spa@/app/callback#second"] {
        let app = storage::enter(&storage::namespace_of("spa@/app/callback"));
        storage::clear_all();
        storage::save_pending(&pending("mine")).expect("save");
        storage::save_logout_state(&State::new("mine".to_owned())).expect("save");
        assert_eq!(storage::own_keys().len(), 2);
        assert!(keys::session().starts_with(storage::PREFIX));
        drop(app);

        let entered = storage::enter(&storage::namespace_of(other));
        assert!(
            storage::own_keys().is_empty(),
            "{other} sees nothing of the first"
        );
        assert!(
            !storage::holds_pending(&State::new("mine".to_owned())),
            "{other}"
        );
        assert!(
            storage::pending_anywhere(&State::new("mine".to_owned())),
            "{other} knows another instance holds it"
        );
        assert_eq!(
            storage::take_pending(&State::new("mine".to_owned())),
            Stored::Missing
        );
        assert_eq!(storage::prune_pending(u64::MAX), Vec::new());
        storage::clear_all();
        drop(entered);

        let _app = storage::enter(&storage::namespace_of("spa@/app/callback"));
        assert_eq!(
            storage::own_keys().len(),
            2,
            "{other}'s sign-out wiped nothing here"
        );
        assert!(storage::holds_pending(&State::new("mine".to_owned())));
    }
}

/// Two instances' tasks, interleaved at every `await`, each read and write in their own namespace.
#[wasm_bindgen_test]
async fn tasks_of_two_instances_keep_their_own_namespace_across_awaits() {
    reset();
    let task = |instance: &'static str, state: &'static str| {
        storage::within(storage::namespace_of(instance), async move {
            for _ in 0..3 {
                storage::save_pending(&pending(state)).expect("save");
                gloo_timers::future::TimeoutFuture::new(0).await;
                assert!(storage::holds_pending(&State::new(state.to_owned())));
                assert_eq!(
                    storage::own_keys().len(),
                    1,
                    "{instance} sees its own record only"
                );
            }
        })
    };
    futures::future::join(
        task("spa@/app/callback", "first"),
        task("spa@/app/callback#second", "second"),
    )
    .await;
    assert_eq!(
        &*storage::current(),
        storage::PREFIX,
        "outside both, the bare prefix"
    );
}

#[wasm_bindgen_test]
fn logout_state_is_single_use() {
    reset();
    let state = State::new("logout-state".to_owned());
    storage::save_logout_state(&state).expect("save");
    assert_eq!(storage::take_logout_state(), Stored::Found(state));
    assert_eq!(storage::take_logout_state(), Stored::Missing);
}

#[wasm_bindgen_test]
fn address_bar_loses_callback_parameters_and_keeps_the_rest() {
    let before = location::current().expect("url");
    let mut dirty = before.clone();
    dirty
        .query_pairs_mut()
        .clear()
        .append_pair("keep", "1")
        .append_pair("code", "secret-code")
        .append_pair("state", "s")
        .append_pair("iss", "https://issuer.example")
        .append_pair("session_state", "x")
        .append_pair("error", "access_denied")
        .append_pair("error_description", "no")
        .append_pair("error_uri", "https://e.example")
        .append_pair("also", "2");
    dirty.set_fragment(Some("frag"));
    assert!(location::replace(&dirty));

    assert!(location::strip_params(
        yew_oidc_spa::oidc::callback::CALLBACK_PARAMS
    ));

    let after = location::current().expect("url");
    assert_eq!(after.query(), Some("keep=1&also=2"));
    assert_eq!(after.fragment(), Some("frag"));
    assert_eq!(after.path(), before.path());
    let href = web_sys::window().unwrap().location().href().unwrap();
    assert!(!href.contains("secret-code"), "the code is still in {href}");

    location::replace(&before);
}

#[wasm_bindgen_test]
fn without_params_drops_an_emptied_query() {
    let url = url::Url::parse("https://app.example/callback?code=c&state=s").unwrap();
    let clean = location::without_params(&url, &["code", "state"]);
    assert_eq!(clean.as_str(), "https://app.example/callback");
}

#[wasm_bindgen_test]
fn abandoned_pending_sign_ins_are_pruned_and_fresh_ones_kept() {
    reset();
    storage::save_pending(&pending("old")).expect("save");
    let mut fresh = pending("fresh");
    fresh.created_at += 700;
    storage::save_pending(&fresh).expect("save");

    let pruned = storage::prune_pending(1_700_000_500);
    assert_eq!(
        pruned,
        [pending("old")],
        "the pruned records come back, for their DPoP keys"
    );

    assert_eq!(
        storage::take_pending(&State::new("old".to_owned())),
        Stored::Missing
    );
    assert!(matches!(
        storage::take_pending(&State::new("fresh".to_owned())),
        Stored::Found(_)
    ));
}

#[wasm_bindgen_test]
fn saved_metadata_is_single_use_and_rechecked_when_read_back() {
    reset();
    let issuer = "https://id.example";
    let metadata = yew_oidc_spa::oidc::discovery::parse_metadata(
        br#"{"issuer": "https://id.example",
             "authorization_endpoint": "https://id.example/auth",
             "token_endpoint": "https://id.example/token",
             "jwks_uri": "https://id.example/jwks"}"#,
        issuer,
    )
    .expect("valid metadata");
    storage::save_metadata(&metadata).expect("save");
    assert_eq!(storage::take_metadata(issuer), Some(metadata.clone()));
    assert_eq!(storage::take_metadata(issuer), None, "read once, then gone");
    storage::save_metadata(&metadata).expect("save");
    assert_eq!(storage::take_metadata("https://other.example"), None);

    // Tampered in storage: a token endpoint over plain http to another host is not used.
    let mut tampered = metadata;
    tampered.token_endpoint = url::Url::parse("http://evil.example/token").unwrap();
    storage::save_metadata(&tampered).expect("save");
    assert_eq!(storage::take_metadata(issuer), None);
}

/// The small stored values are read from the parsed `Value` by hand (`FromJson`), refusing what their derived
/// readers refused: a logout `state` that is not a string, a saved key set without both members, and a consumed
/// list with a non-string in it.
#[wasm_bindgen_test]
fn small_stored_values_of_the_wrong_shape_are_garbage() {
    reset();
    let s = session_storage();
    s.set_item(&keys::logout_state(), "42").expect("set");
    assert_eq!(storage::take_logout_state(), Stored::Garbage);
    s.set_item(&keys::logout_state(), r#""s-1""#).expect("set");
    assert_eq!(
        storage::take_logout_state(),
        Stored::Found(State::new("s-1".to_owned()))
    );

    let jwks_uri = url::Url::parse("https://id.example/jwks").unwrap();
    let saved = |text: &str| {
        s.set_item(&keys::jwks(), text).expect("set");
        storage::take_jwks(&jwks_uri).map(|keys| keys.keys.len())
    };
    assert_eq!(
        saved(r#"{"jwks_uri":"https://id.example/jwks","keys":{"keys":[{"kty":"EC"}]}}"#),
        Some(1)
    );
    for broken in [
        r#"{"keys":{"keys":[]}}"#,
        r#"{"jwks_uri":null,"keys":{"keys":[]}}"#,
        r#"{"jwks_uri":7,"keys":{"keys":[]}}"#,
        r#"{"jwks_uri":"https://id.example/jwks"}"#,
        r#"{"jwks_uri":"https://id.example/jwks","keys":[]}"#,
        r#"["https://id.example/jwks",{"keys":[]}]"#,
    ] {
        assert_eq!(saved(broken), None, "{broken}");
    }

    let local = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage");
    local
        .set_item(&keys::consumed(), r#"["fp-1","fp-2"]"#)
        .expect("set");
    assert!(storage::is_consumed("fp-2"));
    local
        .set_item(&keys::consumed(), r#"["fp-1",2]"#)
        .expect("set");
    assert!(
        !storage::is_consumed("fp-1"),
        "a list with a non-string is garbage"
    );
    assert_eq!(local.get_item(&keys::consumed()).expect("get"), None);
}
