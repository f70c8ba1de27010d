//! Says which sign-out happened and what it left behind.

use yew::prelude::*;

use crate::auth::SignedOutReason;

/// A plain function, not a component: it has no state or hooks, and every component type costs about 1 KB gzip of
/// Yew's lifecycle code in the first load.
pub fn signed_out_notice(reason: SignedOutReason) -> Html {
    let Some(kind) = reason.kind() else {
        return html! {};
    };
    let text = match reason {
        SignedOutReason::Local => {
            "You are signed out of this app. Your session at the provider is still alive, so signing \
             in again will not ask for your password."
        }
        SignedOutReason::LocalUnrevoked => {
            "You are signed out of this app. The provider did not confirm that it revoked the app's \
             tokens, so they stay valid until they expire. Your session at the provider is still alive."
        }
        SignedOutReason::RenewalRefused => {
            "The provider refused to renew your session (it was revoked or ended at the provider). \
             Sign in again to continue."
        }
        SignedOutReason::ProviderUnsupported => {
            "You are signed out of this app, but the provider offers no way to end its own session \
             from here (no end_session_endpoint): it is still alive. Sign out at the provider itself \
             to end it."
        }
        SignedOutReason::ProviderRequested => {
            "You are signed out of this app, and the provider was asked to end its session too. It sent \
             nothing back that confirms it did: if the next sign-in does not ask for your password, sign out \
             at the provider itself."
        }
        SignedOutReason::ElsewhereAtProvider => {
            "You signed out in another tab of this app, which asked the provider to end its session too; \
             this tab's session has ended."
        }
        SignedOutReason::Provider => {
            "You are signed out of this app and of the provider, which confirmed it. Signing in again will \
             ask for your credentials."
        }
        SignedOutReason::Expired => {
            "Your session expired: the provider gave the app no refresh token to renew it with. Sign in \
             again to continue."
        }
        SignedOutReason::RenewalLapsed => {
            "Your session ended: it could not be renewed for too long (the provider could not be reached). \
             Sign in again to continue."
        }
        SignedOutReason::StorageDiscarded => {
            "The stored session could not be read and was discarded. Sign in again to continue."
        }
        SignedOutReason::NoSession => "",
    };
    html! {
        <section class="card notice" data-testid="signed-out-notice" data-kind={kind}>
            <p>{ text }</p>
        </section>
    }
}
