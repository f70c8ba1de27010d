//! The application shell: routes, the router, the auth provider and the page frame.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::AuthProvider;
use crate::components::header::Header;
use crate::pages::{callback::Callback, home::Home, not_found::NotFound, profile::Profile};

#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    /// The redirect URI: the auth provider completes the sign-in here.
    #[at("/callback")]
    Callback,
    #[at("/profile")]
    Profile,
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Callback => html! { <Callback /> },
        Route::Profile => html! { <Profile /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <AuthProvider>
                <Header />
                <main>
                    <Switch<Route> render={switch} />
                </main>
            </AuthProvider>
        </BrowserRouter>
    }
}
