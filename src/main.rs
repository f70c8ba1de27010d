fn main() {
    yew_oidc_spa::browser::panic::install();
    yew::Renderer::<yew_oidc_spa::app::App>::new().render();
}
