//! A panic hook: a panic in WebAssembly stops the whole app, so the user gets a clear message instead of a
//! page that silently stops responding. The message never includes panic details (they could hold data).

const MESSAGE: &str = "Something went wrong and the app stopped. Reload the page to start again.";

pub fn install() {
    std::panic::set_hook(Box::new(|_| {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let Some(body) = document.body() else {
            return;
        };
        let Ok(section) = document.create_element("section") else {
            return;
        };
        section.set_class_name("card error");
        let _ = section.set_attribute("data-testid", "fatal-error");
        let _ = section.set_attribute("role", "alert");
        section.set_text_content(Some(MESSAGE));
        if let Ok(main) = document.create_element("main") {
            let _ = main.append_child(&section);
            body.set_text_content(None);
            let _ = body.append_child(&main);
        }
    }));
}
