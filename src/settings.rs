//! The demo's own settings in config.json, beside the library's (`Config::setting`): the library reads and checks
//! only its own members.

use url::Url;
use yew_oidc_spa::Config;

/// The name shown when `title` is not configured.
pub const DEFAULT_TITLE: &str = "yew-oidc-spa";

/// `title`: the app's name, in the header and the page title.
pub fn title(config: &Config) -> String {
    config
        .setting("title")
        .and_then(|title| title.as_str())
        .unwrap_or(DEFAULT_TITLE)
        .to_owned()
}

/// `api_url`: the URL the API page calls, when it is an absolute URL; `Err` names what is wrong with it.
pub fn api_url(config: &Config) -> Result<Option<Url>, &'static str> {
    match config.setting("api_url") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => Url::parse(text)
            .map(Some)
            .map_err(|_| "api_url in config.json is not an absolute URL"),
        Some(_) => Err("api_url in config.json is not a string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Config {
        let json = format!(r#"{{"issuer": "https://id.example", "client_id": "spa"{extra}}}"#);
        Config::from_json(&json, &Url::parse("https://app.example/").unwrap()).unwrap()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_demos_settings_are_read_from_config_json() {
        assert_eq!(title(&config("")), DEFAULT_TITLE);
        assert_eq!(title(&config(r#", "title": "Demo""#)), "Demo");
        assert_eq!(api_url(&config("")), Ok(None));
        assert_eq!(
            api_url(&config(r#", "api_url": "https://api.example/me""#))
                .unwrap()
                .map(String::from),
            Some("https://api.example/me".to_owned())
        );
        assert!(api_url(&config(r#", "api_url": "/relative""#)).is_err());
        assert!(api_url(&config(r#", "api_url": 7"#)).is_err());
    }
}
