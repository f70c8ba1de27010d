// Prepended to the boot script by scripts/finish-dist.mjs. A trap in the WebAssembly (a panic, under either panic
// strategy, an out-of-memory abort) stops the whole app: instead of a page that silently stops responding, the user
// gets a message asking to reload. It never shows the error's details (they could hold data). Other script errors
// are not the app's end and are left alone; so is an overflow of the engine's call stack, which is not a trap
// (V8, in Chromium and Node, throws a RangeError) and which nothing here tells from a script's own.
const fatal = (event) => {
  if (!((event.error ?? event.reason) instanceof WebAssembly.RuntimeError)) return;
  const section = document.createElement('section');
  section.className = 'card error';
  section.dataset.testid = 'fatal-error';
  section.setAttribute('role', 'alert');
  section.textContent = 'Something went wrong and the app stopped. Reload the page to start again.';
  const main = document.createElement('main');
  main.append(section);
  document.body.replaceChildren(main);
};
addEventListener('error', fatal);
addEventListener('unhandledrejection', fatal);
