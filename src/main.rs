fn main() {
    yew::Renderer::<yew_oidc_spa::app::App>::new().render();
}
