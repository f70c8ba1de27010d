// A panic traps like any other fatal error: the boot script shows the message (scripts/fatal.js), in stable builds
// (panic = "abort") and in the nightly release build (panic = immediate-abort) alike.
fn main() {
    yew::Renderer::<yew_oidc_spa_demo::app::App>::new().render();
}
