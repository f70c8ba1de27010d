//! The two sign-outs. Local: forget this tab's session and revoke its tokens. Provider: the same, then
//! RP-Initiated Logout, and every other tab of the app hears that the provider session is gone.

use std::rc::Rc;

use url::Url;

use super::documents::metadata;
use super::tabs::{self, TabMessage};
use super::{AuthError, SignedOutReason, dpop};
use crate::browser::dpop_key::DpopKey;
use crate::browser::{clock, location, storage};
use crate::oidc::config::{Config, LogoutMethod};
use crate::oidc::discovery::ProviderMetadata;
use crate::oidc::logout::{
    LOGOUT_RETURN_PARAMS, LogoutError, end_session_form, verify_logout_return,
};
use crate::oidc::revocation::{Revocable, revoke};
use crate::oidc::secret::{AccessToken, RefreshToken, State};
use crate::oidc::session::Session;

/// What a local sign-out took out of storage, kept in memory only to revoke the tokens.
pub struct Forgotten {
    session: Session,
}

/// Forgets the session: every key the app wrote is removed, at once, before anything is awaited. Returns what
/// revocation still needs.
pub fn forget() -> Option<Forgotten> {
    let session = storage::load_session().found();
    storage::clear_all();
    Some(Forgotten { session: session? })
}

/// Revokes the refresh token, then the access token (RFC 7009; RFC 9700 2.2.2), when the provider offers
/// a revocation endpoint, with DPoP proofs from `key` when the tokens are bound to it (a provider may ask for
/// them). Returns whether the provider confirmed both. Never blocks a sign-out: callers have already cleared the
/// session.
pub async fn revoke_tokens(
    config: &Config,
    metadata: &ProviderMetadata,
    refresh_token: Option<&RefreshToken>,
    access_token: &AccessToken,
    key: Option<Rc<DpopKey>>,
) -> bool {
    if metadata.revocation_endpoint.is_none() {
        return true;
    }
    let client = dpop::client(key, None);
    let mut revoked = true;
    if let Some(refresh_token) = refresh_token {
        let refresh = Revocable::Refresh(refresh_token);
        revoked &= revoke(&client, config, metadata, refresh).await.is_ok();
    }
    let access = Revocable::Access(access_token);
    revoked &= revoke(&client, config, metadata, access).await.is_ok();
    revoked
}

/// [`revoke_tokens`] for a session, whose DPoP key is then deleted.
async fn revoke_session(config: &Config, metadata: &ProviderMetadata, session: &Session) -> bool {
    // A key that cannot be had leaves the revocation without proofs, which a provider may still accept.
    let key = (dpop::key_of(session.dpop_key_id.as_deref()).await)
        .ok()
        .flatten();
    let refresh = session.refresh_token.as_ref();
    let revoked = revoke_tokens(config, metadata, refresh, &session.access_token, key).await;
    discard_key(session).await;
    revoked
}

/// Deletes the session's DPoP key, if it has one (RFC 9449: a key per session, gone with it).
async fn discard_key(session: &Session) {
    if let Some(id) = &session.dpop_key_id {
        dpop::discard(id).await;
    }
}

/// Local sign-out's second half: revokes the forgotten session's tokens. Nothing else reaches the provider,
/// so its own session stays alive. Returns whether revocation was confirmed.
/// The endpoint comes from metadata fetched during this page load, never from storage.
pub async fn revoke_forgotten(config: &Config, forgotten: Forgotten) -> bool {
    match metadata(config).await {
        Ok(metadata) => revoke_session(config, &metadata, &forgotten.session).await,
        Err(_) => {
            discard_key(&forgotten.session).await;
            false
        }
    }
}

/// Provider sign-out (RP-Initiated Logout 1.0, section 2). Clears the local session first, revokes its
/// tokens, tells the other tabs, then leaves for the end-session endpoint with `id_token_hint`,
/// `post_logout_redirect_uri`, `client_id` and `state`. Without an endpoint, the sign-out is local only and
/// the reason says so.
pub async fn sign_out_at_provider(config: &Config) -> Result<SignedOutReason, AuthError> {
    // The session goes first, before anything is awaited: nothing may use it once the user asked to sign out.
    let Some(Forgotten { session }) = forget() else {
        return Ok(SignedOutReason::Local);
    };
    let metadata = match metadata(config).await {
        Ok(metadata) => metadata,
        Err(error) => {
            discard_key(&session).await;
            return Err(error);
        }
    };
    let state = State::generate(&mut clock::random);
    let form = match end_session_form(config, &metadata, &session.id_token, &state) {
        Ok(form) => form,
        Err(LogoutError::NotSupported) => {
            revoke_session(config, &metadata, &session).await;
            return Ok(SignedOutReason::ProviderUnsupported);
        }
        Err(error) => {
            discard_key(&session).await;
            return Err(error.into());
        }
    };
    // A failed revocation does not stop the sign-out: ending the provider session is the stronger act.
    revoke_session(config, &metadata, &session).await;
    tabs::post(&TabMessage::ProviderSignedOut {
        issuer: config.issuer.clone(),
    });
    storage::save_logout_state(&state)?;
    let left = match config.logout_method {
        LogoutMethod::Get => location::navigate(&form.into_url()),
        LogoutMethod::Post => location::post_form(&form.action, &form.fields),
    };
    if left {
        Ok(SignedOutReason::Provider)
    } else {
        Err(AuthError::Navigation("the provider's sign-out page"))
    }
}

/// On the return from the provider's end-session endpoint, checks the `state` it echoes
/// (RP-Initiated Logout 1.0, section 3). `None` when no provider sign-out was under way. A return without any
/// `state` (the user came back by the back button, the provider's sign-out unconfirmed) is a local sign-out, or,
/// for a provider described as taking no `state`, a sign-out requested there and not confirmed; a wrong or
/// repeated `state` is an error.
pub fn finish_provider_sign_out(
    config: &Config,
    url: &Url,
) -> Option<Result<SignedOutReason, AuthError>> {
    let expected = storage::take_logout_state().found()?;
    // Whatever happened while the browser was away, nothing of the signed-out session may come back.
    dpop::clear_storage();
    let target = &config.post_logout_redirect_uri;
    if url.origin() != target.origin() || url.path() != target.path() {
        // The user came back some other way; the local session was already cleared.
        return None;
    }
    location::strip_params(LOGOUT_RETURN_PARAMS);
    // A provider described as taking no `state` sends none back: its return is taken at its word.
    let sent_state = config
        .logout
        .as_ref()
        .is_none_or(|described| described.state);
    Some(match verify_logout_return(url, &expected) {
        Ok(()) => Ok(SignedOutReason::Provider),
        // Nothing to verify the return by: the sign-out was asked for, not confirmed (issue 24, 5).
        Err(LogoutError::MissingState) if !sent_state => Ok(SignedOutReason::ProviderRequested),
        Err(LogoutError::MissingState) => Ok(SignedOutReason::Local),
        Err(error) => Err(error.into()),
    })
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::browser::storage::Stored;
    use crate::oidc::testing::{config, stored_session};

    #[wasm_bindgen_test]
    fn the_return_from_a_provider_sign_out_leaves_nothing_of_the_session() {
        storage::clear_all();
        let config = config();
        // Whatever wrote a session back while the browser was at the provider, it must not survive the return.
        storage::save_session(&stored_session("rt", "at")).unwrap();
        storage::save_logout_state(&State::new("st".into())).unwrap();
        let mut back = config.post_logout_redirect_uri.clone();
        back.set_query(Some("state=st"));
        let outcome = finish_provider_sign_out(&config, &back);
        assert!(matches!(outcome, Some(Ok(SignedOutReason::Provider))));
        assert_eq!(storage::load_session(), Stored::Missing);
        assert!(storage::own_keys().is_empty(), "{:?}", storage::own_keys());
    }
}
