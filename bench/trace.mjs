// Where the main thread's time goes (issue 21), per phase, in the boot, the callback and the reload: our release
// build (dist/) and the oidc-client-ts reference (bench/reference/), each through bench/run.mjs's scenario in
// headless Chromium with the page's CPU slowed down 4x, a Chromium trace recorded around each of the three steps.
// Prints, per step and app, the median over N runs of every phase's main-thread time, and writes nothing.
// Figures only, never a verdict.
//
//   node bench/trace.mjs [--runs N (5)] [--warmup N (1)] [--cpu-rate N (4)] [--modes cpu,loopback,rtt (cpu)]
//                        [--inline-config] [--save-traces DIR] [--analyze DIR] [--top N] [--top-events PHASE,...]
//   (build first: CSP_LOOPBACK=1 scripts/release-build)
//
// The windows are bench/run.mjs's: the boot and the reload from navigation start, the callback from the moment
// the browser sent GET /callback, each to the view it waits for (`sign-in`, `user-name`) in the DOM with a layout
// box, noted by a MutationObserver installed before any page script (it also marks the first view: the first
// element the page puts in <body>, without asking for its box, which would force a layout). Each step is traced
// alone (Tracing.start before the navigation or click, Tracing.end once the view is there) with the V8 sampling
// profiler on (100 µs), and every sample of the page's main thread inside the window is put in one phase:
// - by the trace event it falls in, innermost first: HTML parse, JS parse and compile (the JS glue and the boot
//   script; the reference's bundle), wasm compile (streaming) and instantiate, wasm lazy compile (V8 compiles each
//   wasm function on its first call: wasm.CompileLazy), style, layout and paint, GC;
// - otherwise by its stack, from the innermost frame out, skipping frames that say nothing (allocator, std,
//   futures, wasm-bindgen, js-sys): the crate of a wasm function (yew and yew-router; serde_json; url, http and
//   gloo-net; getrandom; the app's crates) or the browser API a native frame or a wasm-bindgen import stands for
//   (DOM calls; sessionStorage and IndexedDB; WebCrypto; fetch, URL, history; JSON). Module top-level code is
//   "script evaluation"; the reference's own JS (its app and oidc-client-ts, one minified bundle) is one phase;
// - otherwise (native code with nothing on the stack and no finer event) by what its task is for: where the task
//   was posted from or the IPC interface it serves (navigation, loading, parsing, rendering, wasm compilation, the
//   profiler's and DevTools' own work); what none of these names is "other".
// The wasm has no names (wasm-opt drops them): bench/wasm-names.mjs rebuilds them from Trunk's staging output and
// uses them only if they belong to this very wasm; without them wasm frames fall in "wasm (unnamed)".
// A sample counts for the time since the one before it (see analyzeStep). Outside any task (idle, waiting for the
// network or a background thread) is "main thread idle". Each step also runs once per run untraced, in the same
// scenario and after the same 500 ms at rest (as bench/run.mjs waits before its boot), so the
// tracing's own cost shows: "total, untraced" against "total, traced". The profiler's logging of every newly
// compiled wasm function weighs on ours most: its tasks count as "measurement", but the lazy compilations
// themselves also take longer while it runs.
//
// Servers, ports (provider 9400, app 8481: never the end-to-end tests' 9000/8081), snapshots and the machine line
// come from bench/run.mjs. The raw traces (--save-traces) open in Chrome DevTools' Performance panel or Perfetto.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from '@playwright/test';

import { CHROMIUM, CHROMIUM_ARGS, USER } from '../tests/shared/constants.mjs';
import { requireLoopbackBuild } from '../tests/shared/loopback-build.mjs';
import { buildReference } from './reference/build.mjs';
import {
  APP, MODE_NAMES, OUR_DIST, fmtMs, loadNow, machine, median, modesOf, parseArgs, seenBy, snapshot, startApp,
  startProvider, stopChild, table, visible,
} from './run.mjs';
import { wasmNames } from './wasm-names.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));

// Waited between starting the trace and starting the step (and as long before an untraced step).
const TRACE_SETTLE_MS = 500;

const CATEGORIES = [
  'toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8', 'v8.execute',
  'v8.wasm', 'disabled-by-default-v8.compile', 'disabled-by-default-v8.gc', 'loading', 'blink', 'blink.resource',
  'disabled-by-default-v8.cpu_profiler',
];
// V8 samples every 100 µs with this category, every 1 ms without (--coarse).
const HIRES = 'disabled-by-default-v8.cpu_profiler.hires';

// ---------------------------------------------------------------------------------------------------------------
// The page probe (every document, before its scripts): run.mjs's, plus user-timing marks the trace records.

const PROBE = `(() => {
  const ids = ['sign-in', 'user-name', 'auth-error', 'config-error'];
  const at = {};
  const note = (key) => {
    if (at[key] !== undefined) return false;
    at[key] = performance.now();
    performance.mark('trace:' + key);
    return true;
  };
  function __traceProbe() {
    if (at['first-view'] === undefined && document.body) {
      // In the DOM, without asking for its layout box: that would force a style and layout pass at every batch of
      // mutations, which bench/run.mjs's probe does not do.
      for (const el of document.body.children) {
        if (el.localName === 'noscript' || el.localName === 'script' || el.localName === 'template') continue;
        note('first-view');
        break;
      }
    }
    for (const id of ids) {
      if (at[id] !== undefined) continue;
      const el = document.querySelector('[data-testid="' + id + '"]');
      if (!el || el.getClientRects().length === 0) continue;
      note(id);
      if (typeof window.__benchSeen === 'function') window.__benchSeen(id);
    }
  }
  new MutationObserver(__traceProbe).observe(document, { childList: true, subtree: true });
  addEventListener('TrunkApplicationStarted', () => note('main-returned'));
  Object.defineProperty(window, '__trace', { value: at });
})();`;

// What the page says after a step: its probe's notes (ms since navigation start) and when GET was sent.
const READ_PAGE = () => {
  const nav = performance.getEntriesByType('navigation')[0];
  return { at: { ...window.__trace }, requestStart: nav.requestStart || nav.fetchStart, url: location.href };
};

// ---------------------------------------------------------------------------------------------------------------
// Phases

export const PHASES = [
  ['navigation', 'navigation: unload, commit, new document and JS context'],
  ['parse', 'HTML parse'],
  ['loading', 'requests and responses (start, receive, SRI)'],
  ['jscompile', 'JS parse and compile'],
  ['eval', 'script evaluation (module top level)'],
  ['wasmcompile', 'wasm compile (streaming)'],
  ['wasminst', 'wasm instantiate'],
  ['lazy', 'wasm lazy compile (first calls)'],
  ['app', 'app code (ours: yew-oidc-spa, oidc-spa-core, demo; ref: its JS and oidc-client-ts)'],
  ['json', 'JSON (serde_json; JSON.parse, Response.json)'],
  ['storage', 'storage (sessionStorage, IndexedDB)'],
  ['crypto', 'crypto (WebCrypto, getrandom)'],
  ['http', 'URLs, fetch, history (url, http, gloo-net)'],
  ['yew', 'Yew and yew-router (components, virtual DOM)'],
  ['dom', 'DOM calls (create, insert, attributes, listeners)'],
  ['runtime', 'wasm-bindgen glue, allocator, std, futures'],
  ['unnamed', 'wasm (unnamed)'],
  ['layout', 'style, layout, paint'],
  ['gc', 'GC'],
  ['other', 'other (named by no event, frame or task origin)'],
  ['harness', 'measurement (probe, profiler, DevTools)'],
];

// Trace events of the main thread that decide a sample's phase, innermost first; `exec` ones leave it to the stack
// (`eval`: module top level), `task` ones only say that the thread was busy.
const EVENT_PHASE = new Map([
  ['ParseHTML', 'parse'],
  ...['v8.compile', 'v8.compileModule', 'v8.produceCache', 'v8.produceModuleCache', 'v8.deserializeOnBackground',
    'V8.CompileCode', 'V8.CompileLazy', 'V8.ParseProgram', 'V8.ParseFunction', 'V8.PreParse', 'V8.Compile',
    'V8.CompileIgnition', 'V8.CompileIgnitionFinalization', 'V8.CompileScript', 'V8.CompileEval',
    'V8.CompileStreamedModule', 'V8.OffThreadFinalization.Publish', 'V8.FinalizeBaselineConcurrentCompilation',
    'V8.StreamingFinalization.CheckCache', 'V8.StreamingFinalization.AddToCache', 'V8.StreamingFinalization.Release',
    'V8.CompileFullCode'].map((n) => [n, 'jscompile']),
  ...['v8.wasm.compileConsume', 'v8.wasm.compileConsumeDone', 'v8.wasm.cachedModule', 'v8.wasm.moduleCacheHit',
    'v8.wasm.compiledModule', 'wasm.StartStreamingCompilation', 'wasm.InitializeStreaming', 'wasm.OnBytesReceived',
    'wasm.FinishStreaming', 'wasm.FinishAsyncCompile', 'wasm.OnCompilationSucceeded', 'wasm.SyncCompile',
    'wasm.AsyncCompile', 'wasm.AsyncCompileJob', 'wasm.NewNativeModule', 'wasm.ValidateFunctionsStreaming',
    'wasm.WasmStreaming.Unpack', 'wasm.SetUrl', 'wasm.GetStreamingCompilationOwnership', 'wasm.BaselineFinished',
    'wasm.Deserialize', 'wasm.DeserializeModule', 'wasm.Debug.OnAfterCompile',
    'wasm.CompileTopTier', 'wasm.DecodeModule', 'wasm.ValidateFunctions'].map((n) => [n, 'wasmcompile']),
  ['wasm.SyncInstantiate', 'wasminst'],
  ['wasm.AsyncInstantiate', 'wasminst'],
  ['wasm.CompileLazy', 'lazy'],
  // history.replaceState/pushState from a page script: the app's own URL work, not a navigation.
  ['FrameLoader::updateForSameDocumentNavigation', 'http'],
  // The profiler records each newly compiled function (code logging): the measurement's own cost.
  ['wasm.LogCode', 'harness'],
  ['wasm.LogWasmCodes', 'harness'],
  ['V8.LogCode', 'harness'],
  ['CpuProfiler::StartProfiling', 'harness'],
  ...['UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'UpdateLayer', 'ParseAuthorStyleSheet',
    'RecalculateStyles', 'IntersectionObserverController::computeIntersections', 'HitTest', 'PaintImage',
    'ComputeIntersections', 'UpdateLayerTree'].map((n) => [n, 'layout']),
  ...['MinorGC', 'MajorGC', 'V8.GCScavenger', 'V8.GCCompactor', 'V8.GCFinalizeMC', 'V8.GCIncrementalMarking',
    'BlinkGC.AtomicPhase', 'CppGC.AtomicMark'].map((n) => [n, 'gc']),
  ...['FunctionCall', 'v8.callFunction', 'RunMicrotasks', 'TimerFire', 'EventDispatch', 'FireAnimationFrame', 'v8.run',
    'V8.Execute', 'XHRReadyStateChange', 'FireIdleCallback'].map((n) => [n, 'exec']),
  ['EvaluateScript', 'eval'],
  ['v8.evaluateModule', 'eval'],
]);
// Blink's own work, by the prefix of its events' names (the `loading`, `blink` and `blink.resource` categories).
const PREFIX_PHASE = [
  [/^(HTMLDocumentParser::|HTMLParserScriptRunner|Document::FinishedParsing|Document::CancelParsing|TextResourceDecoder::)/, 'parse'],
  [/^(ResourceFetcher::|ResponseBodyLoader::|URLLoader::|ResourceLoader::|Resource::|ThrottlingURLLoader::|NavigationBodyLoader::|DocumentLoader::(BodyDataReceived|HandleData|FinishedLoading|StartLoadingResponse)|ScriptStreamer|DocumentModuleScriptFetcher|ModuleScriptLoader|SubresourceIntegrity|CacheHit)/, 'loading'],
  [/^(Frame::Detach|Document::(shutdown|DispatchUnloadEvents|OpenForNavigation|Initialize|SetReadyState)|DocumentLoader::|LocalWindowProxy::|V8\.DeserializeContext|ContextCreatedNotification|InstallConditionalFeatures|WebLocalFrameImpl::|LocalDOMWindow::|RenderFrameImpl::|FrameLoader::)/, 'navigation'],
  [/^(LocalFrameView::|WebFrameWidgetImpl::UpdateLifecycle|Blink\.(Paint|Layout|Style|CompositingCommit|PrePaint)\.|Document::(updateStyle|UpdateStyleAndLayout|recalcStyle|rebuildLayoutTree|BeginLifecycleUpdates)|PageAnimator::|VisualViewport::|StyleEngine::|CSSParserImpl::|PaintController::)/, 'layout'],
];
const eventPhase = (e) => EVENT_PHASE.get(e.name)
  ?? (e.name.startsWith('V8.GC_') ? 'gc' : undefined)
  ?? PREFIX_PHASE.find(([re]) => re.test(e.name))?.[1]
  ?? (e.cat.split(',').includes('toplevel') ? 'task' : undefined);

// What a task is for, from where it was posted (a task's `src_file`/`src_func`) or the IPC interface whose message
// or pipe it handles (mojo events' `mojo_interface_tag`/`watcher_notify_interface_tag`): the phase of a sample in it
// when neither a finer event nor the stack names one. A task named here by nothing stays "other".
const ORIGIN_PHASE = [
  // The profiler logs each newly compiled wasm function in a task of its own.
  [/WasmEngine::LogCode|^blink\.mojom\.DevTools|devtools/i, 'harness'],
  [/^v8\/src\/wasm\//, 'wasmcompile'],
  [/^content\.mojom\.(NavigationClient|AgentSchedulingGroup|Frame\b)|^blink\.mojom\.(LocalFrame|LocalMainFrame|PageBroadcast)$|navigation|frame_loader|document_loader/i, 'navigation'],
  [/^network\.mojom\.|\/loader\/|\/fetch\/|data_pipe_bytes_consumer|resource_load|CodeCacheHost/, 'loading'],
  [/html_document_parser|\/parser\//, 'parse'],
  [/^cc\/|paint_timing|layout_shift|\/paint\/|\/layout\//, 'layout'],
  [/\/storage\/|StorageArea|indexeddb|IDB/i, 'storage'],
];
const originsOf = (e) => {
  const info = e.args?.chrome_mojo_event_info;
  return [e.args?.src_file, e.args?.src_func, info?.mojo_interface_tag, info?.watcher_notify_interface_tag]
    .filter((o) => typeof o === 'string');
};
// An event as the --top lists name it: with what its task is for, if it says.
const eventLabel = (e) => {
  const info = e.args?.chrome_mojo_event_info;
  const what = info?.mojo_interface_tag ?? info?.watcher_notify_interface_tag
    ?? (e.args?.src_file ? `${e.args.src_file.replace(/.*\//, '')} ${String(e.args.src_func ?? '').replace(/\(.*$/, '').replace(/.*::/, '')}` : undefined);
  return what ? `${e.name} (${what})` : e.name;
};
function originPhase(e) {
  const origins = originsOf(e);
  return ORIGIN_PHASE.find(([re]) => origins.some((origin) => re.test(origin)))?.[1];
}

// The crates of the wasm, by phase; crates not named here say nothing and the next frame out decides.
const CRATE_PHASE = {
  yew: 'yew', yew_router: 'yew', implicit_clone: 'yew', gloo_history: 'yew', route_recognizer: 'yew',
  serde_json: 'json', serde: 'json', serde_core: 'json', serde_wasm_bindgen: 'json', ryu: 'json', itoa: 'json',
  url: 'http', idna: 'http', idna_adapter: 'http', form_urlencoded: 'http', percent_encoding: 'http', http: 'http',
  gloo_net: 'http', bytes: 'http', utf8_iter: 'http', icu_normalizer: 'http', icu_properties: 'http',
  getrandom: 'crypto', rand: 'crypto', rand_core: 'crypto', rand_chacha: 'crypto', sha2: 'crypto', p256: 'crypto',
  yew_oidc_spa: 'app', oidc_spa_core: 'app', yew_oidc_spa_demo: 'app', minimal_app: 'app', base64: 'app',
};
// web-sys and js-sys imports, by the type they belong to.
const WEB_TYPE_PHASE = {
  Storage: 'storage', IdbFactory: 'storage', IdbDatabase: 'storage', IdbObjectStore: 'storage',
  IdbTransaction: 'storage', IdbRequest: 'storage', IdbOpenDbRequest: 'storage', IdbKeyRange: 'storage',
  Crypto: 'crypto', SubtleCrypto: 'crypto', CryptoKey: 'crypto', CryptoKeyPair: 'crypto',
  Response: 'http', Request: 'http', RequestInit: 'http', Headers: 'http', AbortController: 'http',
  AbortSignal: 'http', Url: 'http', UrlSearchParams: 'http', Location: 'http', History: 'http',
  JSON: 'json',
  BroadcastChannel: 'app', MessageEvent: 'app', LockManager: 'app', Lock: 'app',
};
const DOM_TYPE = /^(Node|Element|Html\w*|Document|DocumentFragment|Text|Comment|CharacterData|EventTarget|Event|\w+Event|CssStyleDeclaration|DomTokenList|NodeList|HtmlCollection|ShadowRoot|Range|Attr|NamedNodeMap)$/;
const WINDOW_METHOD_PHASE = [
  [/storage|indexed_db/i, 'storage'], [/crypto/i, 'crypto'], [/fetch|location|history/i, 'http'],
  [/document/i, 'dom'],
];

// Native (browser API) frames, by name: both apps call these.
const NATIVE_PHASE = new Map([
  ...['createElement', 'createElementNS', 'createTextNode', 'createComment', 'createDocumentFragment', 'appendChild',
    'insertBefore', 'removeChild', 'replaceChild', 'replaceChildren', 'append', 'prepend', 'remove', 'before', 'after',
    'setAttribute', 'removeAttribute', 'getAttribute', 'hasAttribute', 'toggleAttribute', 'addEventListener',
    'removeEventListener', 'cloneNode', 'getElementById', 'querySelector', 'focus', 'blur', 'contains', 'matches',
    'closest', 'add', 'toggle', 'setProperty', 'set textContent', 'get textContent', 'set className', 'set value',
    'get value', 'set checked', 'set data', 'set nodeValue', 'set innerHTML', 'set title', 'get title',
    'get firstChild', 'get lastChild', 'get nextSibling', 'get previousSibling', 'get parentNode',
    'get parentElement', 'get childNodes', 'get children', 'get body', 'get head', 'get document', 'get classList',
    'get style', 'get dataset', 'get namespaceURI', 'get nodeType', 'get tagName', 'get localName']
    .map((n) => [n, 'dom']),
  ...['getItem', 'setItem', 'removeItem', 'key', 'get sessionStorage', 'get localStorage', 'get indexedDB',
    'transaction', 'objectStore', 'put'].map((n) => [n, 'storage']),
  ...['digest', 'importKey', 'exportKey', 'verify', 'sign', 'generateKey', 'getRandomValues', 'randomUUID',
    'encrypt', 'decrypt', 'deriveBits', 'deriveKey', 'get subtle', 'get crypto'].map((n) => [n, 'crypto']),
  ...['parse', 'stringify', 'json'].map((n) => [n, 'json']),
  ...['fetch', 'text', 'arrayBuffer', 'Headers', 'Request', 'Response', 'URL', 'URLSearchParams', 'get href',
    'get search', 'get pathname', 'get origin', 'get hash', 'get host', 'get protocol', 'set href', 'replaceState',
    'pushState', 'get location', 'get history', 'get searchParams', 'get state', 'get status', 'get ok',
    'get headers', 'get url', 'assign', 'replace'].map((n) => [n, 'http']),
  ...['decode', 'encode', 'encodeInto', 'TextDecoder', 'TextEncoder', 'setTimeout', 'clearTimeout', 'queueMicrotask',
    'then', 'resolve'].map((n) => [n, 'runtime']),
  // The cross-tab channel and lock: the app's own work.
  ...['BroadcastChannel', 'postMessage', 'set onmessage', 'close', 'get locks', 'request'].map((n) => [n, 'app']),
]);

// The crates a demangled name mentions, outermost path first (`<yew[…]::X<app[…]::Y> as core[…]::Z>` gives yew,
// app, core); generic arguments of transparent crates (core::ptr::drop_glue::<serde_json::Value>) count too.
function cratesOf(name) {
  const clean = name.replace(/\[[0-9a-f]+\]/g, '');
  return [...clean.matchAll(/(?:^|[<\s&(,[*])([a-z_][a-z0-9_]*)::/g)].map((m) => m[1]);
}

function wasmNamePhase(name) {
  const crates = cratesOf(name);
  for (const crate of crates) {
    if (crate === 'web_sys' || crate === 'js_sys') {
      const type = name.match(/gen_(\w+)::/)?.[1] ?? name.match(/js_sys(?:\[[0-9a-f]+\])?::(JSON)::/)?.[1];
      if (type === 'Window') {
        const method = name.match(/gen_Window::Window::(\w+)/)?.[1] ?? '';
        const hit = WINDOW_METHOD_PHASE.find(([re]) => re.test(method));
        if (hit) return hit[1];
        continue;
      }
      if (type && WEB_TYPE_PHASE[type]) return WEB_TYPE_PHASE[type];
      if (type && DOM_TYPE.test(type)) return 'dom';
      continue;
    }
    if (CRATE_PHASE[crate]) return CRATE_PHASE[crate];
  }
  return undefined;
}

// Classifies the frames of one profile: `frame(node)` is the phase a node's own frame names, if any.
function frameClassifier({ names, shims, ourScripts, referenceScripts }) {
  return (callFrame) => {
    const { functionName: fn, url = '', codeType } = callFrame;
    if (fn === '(garbage collector)') return 'gc';
    // Native code with no script on the stack: the events and the task say what it is.
    if (fn === '(program)') return undefined;
    if (fn === '(root)' || fn === '(idle)') return undefined;
    if (fn.startsWith('__traceProbe') || fn === 'UtilityScript' || fn === 'InjectedScript') return 'harness';
    if (codeType === 'wasm' || url.endsWith('.wasm')) {
      const index = Number(fn.match(/^wasm-function\[(\d+)\]$/)?.[1] ?? fn.match(/^\$func(\d+)$/)?.[1]);
      if (!names) return 'unnamed';
      const name = names.get(index);
      return name === undefined ? undefined : wasmNamePhase(name);
    }
    if (ourScripts.has(url)) {
      // A wasm-bindgen import shim (`__wbg_insertBefore_<hash>`): the import's own name says what it calls.
      const shim = fn.match(/^__wbg_\w+_[0-9a-f]{16}$/)?.[0];
      if (shim && shims?.has(shim)) return wasmNamePhase(shims.get(shim));
      return undefined;
    }
    if (referenceScripts.has(url)) return 'app';
    if (!url) return NATIVE_PHASE.get(fn);
    return undefined;
  };
}

// A frame as the --top list shows it: a wasm function by its name (crate hashes dropped), a JS one with its file.
const describer = (names) => ({ functionName: fn, url = '' }) => {
  const index = fn.match(/^wasm-function\[(\d+)\]$/)?.[1];
  if (index !== undefined && names?.has(Number(index))) return names.get(Number(index)).replace(/\[[0-9a-f]+\]/g, '');
  return url ? `${fn || '(anonymous)'} ${url.replace(/.*\//, '')}` : fn;
};

// ---------------------------------------------------------------------------------------------------------------
// One step's trace

function profilesOf(events, pid, tid) {
  const profiles = new Map();
  for (const e of events) {
    if (e.name === 'Profile' && e.pid === pid && e.tid === tid) {
      profiles.set(e.id, { start: e.args.data.startTime, nodes: new Map(), samples: [], deltas: [] });
    }
  }
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || e.pid !== pid || !profiles.has(e.id)) continue;
    const p = profiles.get(e.id);
    const chunk = e.args.data.cpuProfile ?? {};
    for (const node of chunk.nodes ?? []) p.nodes.set(node.id, node);
    p.samples.push(...(chunk.samples ?? []));
    p.deltas.push(...(e.args.data.timeDeltas ?? []));
  }
  return [...profiles.values()];
}

/**
 * The phases of one step: main-thread ms per phase inside [window start, view], and the milestones.
 * `startMs`: the window's start in ms after the document's navigation start (0, or requestStart for the callback);
 * `until`: the probe's mark that ends it.
 */
export function analyzeStep(events, { startMs, until, classify, describe }) {
  // The step's document: the one whose probe marked the view (the callback's navigation starts at the provider, so
  // its navigationStart names the provider's URL); its marks and navigationStart share a navigationId.
  const endMark = events.filter((e) => e.name === `trace:${until}`).at(-1);
  if (!endMark) throw new Error(`no ${until} mark in the trace`);
  const navigationId = endMark.args?.data?.navigationId;
  const { pid, tid } = endMark;
  const nav = events.find((e) => e.name === 'navigationStart' && e.pid === pid && e.args?.data?.navigationId === navigationId);
  const origin = nav ? nav.ts : endMark.ts - endMark.args.data.startTime * 1000;
  const markAt = (key) => events.find((e) => e.name === `trace:${key}` && e.pid === pid
    && e.args?.data?.navigationId === navigationId)?.ts;
  const start = origin + startMs * 1000;
  const end = endMark.ts;
  const firstView = markAt('first-view') ?? end;

  // Main-thread events that name a phase, by start.
  const intervals = events
    .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && typeof e.dur === 'number')
    .map((e) => ({ s: e.ts, e: e.ts + e.dur, phase: eventPhase(e), origin: originPhase(e), name: eventLabel(e) }))
    .filter((i) => i.e > start && i.s < end)
    .sort((a, b) => a.s - b.s || b.e - a.e);

  const phases = Object.fromEntries(PHASES.map(([key]) => [key, 0]));
  const afterFirstView = Object.fromEntries(PHASES.map(([key]) => [key, 0]));
  let idle = 0;
  let sampled = 0;
  const selfByFunction = new Map();
  const byEvent = new Map();
  for (const profile of profilesOf(events, pid, tid)) {
    const phaseOfNode = new Map();
    const nodePhase = (id) => {
      if (phaseOfNode.has(id)) return phaseOfNode.get(id);
      let phase;
      let wasm = false;
      let idleNode = false;
      for (let node = profile.nodes.get(id); node; node = profile.nodes.get(node.parent)) {
        const fn = node.callFrame.functionName;
        if (fn === '(idle)') idleNode = true;
        if (node.callFrame.codeType === 'wasm') wasm = true;
        phase ??= classify(node.callFrame);
      }
      const result = { phase, wasm, idle: idleNode, leaf: profile.nodes.get(id)?.callFrame };
      phaseOfNode.set(id, result);
      return result;
    };
    // V8 stamps a sample when the thread takes the profiler's signal; a few come out of order (negative deltas),
    // so they are put back in time order first. Each sample stands for the time since the one before it: under
    // CPU throttling the thread spins in the throttler's signal handler, where the profiler's signal is blocked,
    // and the sample taken on its way out is where the pause interrupted it.
    let t = profile.start;
    const ordered = profile.deltas.map((d, i) => ({ at: (t += d), node: profile.samples[i] }))
      .sort((a, b) => a.at - b.at);
    let next = 0;
    let open = [];
    for (let i = 1; i < ordered.length; i += 1) {
      const { at, node: nodeId } = ordered[i];
      const weight = Math.min(at, end) - Math.max(ordered[i - 1].at, start);
      if (ordered[i - 1].at >= end) break;
      while (next < intervals.length && intervals[next].s <= at) open.push(intervals[next++]);
      open = open.filter((iv) => iv.e > at);
      if (weight <= 0) continue;
      const node = nodePhase(nodeId);
      sampled += weight;
      const tasks = open.filter((iv) => iv.phase === 'task');
      if (node.idle || tasks.length === 0) {
        idle += weight;
        continue;
      }
      // The innermost event that names a phase; else the stack, inside module evaluation or not.
      let phase;
      let evaluating = false;
      for (let k = open.length - 1; k >= 0; k -= 1) {
        const p = open[k].phase;
        if (p === undefined || p === 'task') continue;
        if (p === 'exec') break;
        if (p === 'eval') {
          evaluating = true;
          break;
        }
        phase = p;
        break;
      }
      if (!phase) {
        phase = node.phase;
        if (evaluating && (phase === undefined || phase === 'app' || phase === 'runtime' || phase === 'other')) {
          phase = 'eval';
        }
        if (phase === 'runtime' && !node.wasm && !node.leaf?.url) phase = undefined;
        // Nothing on the stack says what it is (native code outside any named event): what the task is for.
        phase ??= node.wasm ? 'runtime' : (open.findLast((iv) => iv.origin)?.origin ?? 'other');
      }
      phases[phase] += weight;
      if (at >= firstView) afterFirstView[phase] += weight;
      const inner = `${phase}: ${open.slice(-3).map((iv) => iv.name).join(' > ') || '(no event)'}`;
      byEvent.set(inner, (byEvent.get(inner) ?? 0) + weight);
      if (node.leaf && phase !== 'lazy' && phase !== 'harness') {
        const key = `${phase}: ${describe(node.leaf)}`;
        selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + weight);
      }
    }
  }
  const ms = (us) => us / 1000;
  const inWindow = (e) => e.pid === pid && e.tid === tid && e.ts >= start && e.ts < end;
  const instantiated = events.filter((e) => inWindow(e) && (e.name === 'wasm.SyncInstantiate'))
    .map((e) => e.ts + e.dur).sort((a, b) => a - b)[0];
  // Busy: the union of the main thread's top-level tasks in the window.
  let busy = 0;
  let reach = start;
  for (const iv of intervals) {
    if (iv.phase !== 'task') continue;
    const s = Math.max(iv.s, reach);
    const e = Math.min(iv.e, end);
    if (e > s) busy += e - s;
    reach = Math.max(reach, Math.min(iv.e, end));
  }
  return {
    total: ms(end - start),
    firstView: ms(firstView - start),
    instantiated: instantiated === undefined ? undefined : ms(instantiated - start),
    mainReturned: markAt('main-returned') === undefined ? undefined : ms(markAt('main-returned') - start),
    lazyCompiles: events.filter((e) => inWindow(e) && e.name === 'wasm.CompileLazy').length,
    busy: ms(busy),
    sampledBusy: ms(sampled - idle),
    idle: ms(end - start - busy),
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, ms(v)])),
    afterFirstView: Object.fromEntries(Object.entries(afterFirstView).map(([k, v]) => [k, ms(v)])),
    selfByFunction: new Map([...selfByFunction].map(([k, v]) => [k, ms(v)])),
    byEvent: new Map([...byEvent].map(([k, v]) => [k, ms(v)])),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The scenario, traced or not

const STEPS = [
  { key: 'boot', path: '/', until: 'sign-in' },
  { key: 'callback', path: '/callback', until: 'user-name' },
  { key: 'reload', path: '/', until: 'user-name' },
];

async function scenario(browser, mode, { trace, categories }) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(PROBE);
    const seen = await seenBy(context);
    const page = await context.newPage();
    if (mode.cpuRate > 1) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: mode.cpuRate });
    }
    const out = {};
    const step = async (key, until, action) => {
      // The profiler starts in the page's process once tracing reaches it, and logs every function compiled so
      // far (the wasm's too: 70 ms at 4x CPU on a reload): that passes before the step begins. The untraced run
      // waits as long, so that both start from a page at rest (a navigation right after the page opened races the
      // new renderer's own start-up).
      if (trace) await browser.startTracing(page, { categories });
      await page.evaluate(() => new Promise((r) => { setTimeout(r, 0); }));
      await page.waitForTimeout(TRACE_SETTLE_MS);
      let buffer;
      try {
        seen.clear();
        await action();
        await seen.appeared(page, until, key);
      } finally {
        if (trace) buffer = await browser.stopTracing();
      }
      out[key] = { page: await page.evaluate(READ_PAGE), trace: buffer };
    };
    await step('boot', 'sign-in', () => page.goto(`${APP}/`));
    await page.getByTestId('sign-in').click();
    await visible(page, 'login-username', 'sign-in');
    await page.getByTestId('login-username').fill(USER.username);
    await page.getByTestId('login-password').fill(USER.password);
    await step('callback', 'user-name', () => page.getByTestId('login-submit').click());
    if (!out.callback.page.requestStart) throw new Error('callback: no requestStart');
    await step('reload', 'user-name', () => page.reload());
    return out;
  } finally {
    await context.close();
  }
}

// The window of a step, as bench/run.mjs measures it, from the page's own clock.
function untracedTotal(key, page) {
  const mark = page.at[key === 'boot' ? 'sign-in' : 'user-name'];
  return key === 'callback' ? mark - page.requestStart : mark;
}

// ---------------------------------------------------------------------------------------------------------------
// Main

function ownArgs(argv) {
  const rest = [];
  const own = {
    saveTraces: undefined, analyze: undefined, top: 0, eventPhases: ['other'], modesGiven: false, coarse: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[(i += 1)];
    if (flag === '--save-traces') own.saveTraces = resolve(value());
    else if (flag === '--top') own.top = Number(value());
    else if (flag === '--top-events') own.eventPhases = value().split(',').filter(Boolean);
    else if (flag === '--coarse') own.coarse = true;
    else if (flag === '--analyze') own.analyze = resolve(value());
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node bench/trace.mjs [--runs N (default 5)] [--warmup N (default 1)] [--cpu-rate N (default 4)] '
        + '[--modes cpu,loopback,rtt (default cpu)] [--inline-config] [--coarse (sample every 1 ms, not 100 µs)] '
        + '[--save-traces DIR] [--analyze DIR (tables again from saved traces)] [--top N (the heaviest frames, and the '
        + 'innermost trace events of the phases --top-events names)] [--top-events PHASE,... (default other)]');
      process.exit(0);
    } else {
      if (flag === '--modes') own.modesGiven = true;
      rest.push(argv[i]);
    }
  }
  return { own, rest };
}

// The paths whose changes make a build differ from the commit.
const PRODUCT = ['src', 'crates', 'index.html', 'assets', 'Cargo.toml', 'Cargo.lock', 'Trunk.toml', 'scripts'];

const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

const wasmFileOf = (dir) => readdirSync(dir).find((f) => f.endsWith('_bg.wasm'));
const scriptsOf = (dir) => new Set(readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => `${APP}/${f}`));

// The classifiers of both apps, from the names of our wasm (or none) and the script URLs of both.
function classifiers(named, ourScripts, referenceScripts) {
  const shims = named.names && new Map([...named.names.values()]
    .map((n) => [n.match(/(__wbg_\w+_[0-9a-f]{16})$/)?.[1], n]).filter(([k]) => k));
  const context = { ourScripts: new Set(ourScripts), referenceScripts: new Set(referenceScripts) };
  return {
    ours: { classify: frameClassifier({ ...context, names: named.names, shims }), describe: describer(named.names) },
    reference: { classify: frameClassifier({ ...context }), describe: describer(undefined) },
  };
}

const namesLine = (named) => (named.names
  ? `wasm names: ${named.names.size} functions, from ${named.source}`
  : `wasm names: none (${named.why}); wasm frames count as "wasm (unnamed)"`);

function analyzeRun(traces, pages, untraced, app) {
  const result = {};
  for (const step of STEPS) {
    const page = pages[step.key];
    result[step.key] = {
      ...analyzeStep(traces[step.key], {
        until: step.until, classify: app.classify, describe: app.describe,
        startMs: step.key === 'callback' ? page.requestStart : 0,
      }),
      untraced: untraced[step.key],
    };
  }
  return result;
}

function report(title, apps, top, eventPhases) {
  console.log(`\n== ${title}: main-thread ms per phase, median over ${apps[0].results.length} run(s) (each row its own `
    + 'median, so rows do not add up to the totals exactly)');
  console.log(phaseTable(apps));
  if (top > 0) printTop(apps, top, eventPhases);
}

const runLine = (tag, app, result) => `   ${tag.padEnd(9)} ${app.padEnd(9)} ${STEPS.map((s) => `${s.key} `
  + `${fmtMs(result[s.key].total)} ms (untraced ${fmtMs(result[s.key].untraced)})`).join(', ')}`;

// --analyze DIR: the tables again from the traces a --save-traces run left there (its manifest.json).
async function analyzeSaved(dir, top, eventPhases) {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  for (const line of manifest.header) console.log(line);
  const stored = JSON.parse(await readFile(join(dir, 'wasm-names.json'), 'utf8'));
  const named = stored.names ? { names: new Map(stored.names), source: stored.source } : stored;
  console.log(`${namesLine(named)} (as saved)`);
  const apps = classifiers(named, manifest.ourScripts, manifest.referenceScripts);
  for (const mode of manifest.modes) {
    const results = { ours: [], reference: [] };
    for (const record of manifest.records.filter((r) => r.mode === mode.key && !r.warmup)) {
      const traces = {};
      for (const step of STEPS) {
        traces[step.key] = JSON.parse(await readFile(join(dir, record.files[step.key]), 'utf8')).traceEvents;
      }
      const result = analyzeRun(traces, record.pages, record.untraced, apps[record.app]);
      results[record.app].push(result);
      console.log(runLine(record.tag, record.app, result));
    }
    report(`${mode.name} (${mode.title})`, ['ours', 'reference'].map((key) => ({ key, results: results[key] })), top, eventPhases);
  }
}

async function main() {
  const { own, rest } = ownArgs(process.argv.slice(2));
  if (own.analyze) return analyzeSaved(own.analyze, own.top, own.eventPhases);
  const options = parseArgs(own.modesGiven ? rest : [...rest, '--modes', 'cpu']);
  if (!existsSync(join(OUR_DIST, 'index.html'))) throw new Error(`${OUR_DIST}/index.html is missing: build the app first`);
  requireLoopbackBuild(OUR_DIST);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: set CHROMIUM_PATH`);
  const names = MODE_NAMES(options);
  const categories = own.coarse ? CATEGORIES : [...CATEGORIES, HIRES];
  const work = await mkdtemp(join(tmpdir(), 'yew-oidc-trace-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const header = [
    `trace ${new Date().toISOString()}: ${machine()}, Node ${process.version}, Chromium ${browser.version()} (headless), `
      + `load average ${loadNow()}`,
    `ours: ${OUR_DIST} (index.html of ${statSync(join(OUR_DIST, 'index.html')).mtime.toISOString()}), repository at `
      + `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', ...PRODUCT) ? ' with local changes' : ''}; `
      + `samples every ${own.coarse ? '1 ms' : '100 µs'}`,
  ];
  for (const line of header) console.log(line);
  const manifest = { header, modes: [], records: [] };
  try {
    const referenceDist = await buildReference();
    const ours = { key: 'ours', dir: await snapshot(OUR_DIST, join(work, 'ours'), { inline: options.inlineConfig }) };
    const reference = { key: 'reference', dir: await snapshot(referenceDist, join(work, 'reference')) };
    const apps = [ours, reference];
    const named = await wasmNames(join(ours.dir, wasmFileOf(ours.dir)), REPO, (line) => console.log(line));
    console.log(namesLine(named));
    manifest.ourScripts = [...scriptsOf(ours.dir)];
    manifest.referenceScripts = [...scriptsOf(reference.dir)];
    Object.assign(ours, classifiers(named, manifest.ourScripts, manifest.referenceScripts).ours);
    Object.assign(reference, classifiers(named, manifest.ourScripts, manifest.referenceScripts).reference);
    if (own.saveTraces) {
      await mkdir(own.saveTraces, { recursive: true });
      await writeFile(join(own.saveTraces, 'wasm-names.json'), JSON.stringify(named.names
        ? { names: [...named.names], source: named.source } : { why: named.why }));
    }

    for (const mode of modesOf(options)) {
      manifest.modes.push({ key: mode.key, name: names[mode.key], title: mode.title });
      console.log(`\n-- mode ${names[mode.key]}: ${mode.title}; ${options.warmup} warm-up run(s), then ${options.runs} `
        + 'traced and untraced runs per app, alternating apps');
      for (const app of apps) app.results = [];
      const provider = await startProvider(mode);
      try {
        for (let run = 0; run < options.warmup + options.runs; run += 1) {
          const warmup = run < options.warmup;
          const tag = warmup ? 'warm-up' : `run ${run - options.warmup + 1}/${options.runs}`;
          for (const app of run % 2 === 0 ? apps : [...apps].reverse()) {
            const server = await startApp(app.dir, mode);
            try {
              const traced = await scenario(browser, mode, { trace: true, categories });
              const plain = await scenario(browser, mode, { trace: false });
              const traces = {};
              const pages = {};
              const untraced = {};
              const files = {};
              for (const step of STEPS) {
                const { page, trace } = traced[step.key];
                traces[step.key] = JSON.parse(trace.toString('utf8')).traceEvents;
                pages[step.key] = page;
                untraced[step.key] = untracedTotal(step.key, plain[step.key].page);
                if (own.saveTraces) {
                  files[step.key] = `${mode.key}-${app.key}-${warmup ? 'warmup' : `run${run - options.warmup + 1}`}-${step.key}.json`;
                  await writeFile(join(own.saveTraces, files[step.key]), trace);
                }
              }
              const result = analyzeRun(traces, pages, untraced, app);
              manifest.records.push({ mode: mode.key, app: app.key, tag, warmup, pages, untraced, files });
              if (!warmup) app.results.push(result);
              console.log(runLine(tag, app.key, result));
            } finally {
              await stopChild(server);
            }
          }
        }
      } finally {
        await stopChild(provider);
      }
      report(`${names[mode.key]} (${mode.title})`, apps, own.top, own.eventPhases);
    }
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
    if (own.saveTraces) await writeFile(join(own.saveTraces, 'manifest.json'), JSON.stringify(manifest));
  }
  console.log(`\nload average now ${loadNow()}`);
  if (own.saveTraces) console.log(`traces in ${own.saveTraces}; again with: node bench/trace.mjs --analyze ${own.saveTraces}`);
  return undefined;
}

export function phaseTable(apps) {
  const columns = [];
  for (const step of STEPS) for (const app of apps) columns.push({ step: step.key, app });
  const headers = ['phase (main thread, ms)', ...columns.map((c) => `${c.step} ${c.app.key === 'ours' ? 'ours' : 'ref'}`)];
  const cell = (c, pick) => {
    const v = median(c.app.results.map((r) => pick(r[c.step])));
    return v === undefined ? '–' : fmtMs(v);
  };
  const rows = [];
  for (const [key, label] of PHASES) {
    const values = columns.map((c) => cell(c, (s) => s.phases[key]));
    if (values.every((v) => v === '0.0' || v === '–')) continue;
    rows.push([label, ...values]);
  }
  // The same samples cut at the first view: what the app does before anything shows, and the renders.
  const OWN = ['app', 'json', 'storage', 'crypto', 'http'];
  const sum = (phases, keys) => keys.reduce((total, k) => total + phases[k], 0);
  const before = (s, keys) => sum(s.phases, keys) - sum(s.afterFirstView, keys);
  rows.push(['up to the first view: app\'s own work (app code, JSON, storage, crypto, URLs)', ...columns.map((c) => cell(c, (s) => before(s, OWN)))]);
  rows.push(['up to the first view: render (Yew + DOM calls)', ...columns.map((c) => cell(c, (s) => before(s, ['yew', 'dom'])))]);
  rows.push(['after the first view: app\'s own work', ...columns.map((c) => cell(c, (s) => sum(s.afterFirstView, OWN)))]);
  rows.push(['after the first view: render (Yew + DOM calls)', ...columns.map((c) => cell(c, (s) => sum(s.afterFirstView, ['yew', 'dom'])))]);
  rows.push(['**main thread busy**', ...columns.map((c) => cell(c, (s) => s.busy))]);
  rows.push(['main thread idle (network, other threads)', ...columns.map((c) => cell(c, (s) => s.idle))]);
  rows.push(['first view at', ...columns.map((c) => cell(c, (s) => s.firstView))]);
  rows.push(['wasm instantiated at', ...columns.map((c) => cell(c, (s) => s.instantiated))]);
  rows.push(['main() returned at', ...columns.map((c) => cell(c, (s) => s.mainReturned))]);
  rows.push(['wasm functions compiled on first call', ...columns.map((c) => {
    const v = median(c.app.results.map((r) => r[c.step].lazyCompiles));
    return c.app.key === 'ours' ? String(Math.round(v ?? 0)) : '–';
  })]);
  rows.push(['**total, traced**', ...columns.map((c) => cell(c, (s) => s.total))]);
  rows.push(['**total, untraced**', ...columns.map((c) => cell(c, (s) => s.untraced))]);
  return table(headers, rows, ['l', ...columns.map(() => 'r')]);
}

function printTop(apps, n, eventPhases) {
  for (const app of apps) {
    for (const step of STEPS) {
      const sum = new Map();
      for (const r of app.results) for (const [k, v] of r[step.key].selfByFunction) sum.set(k, (sum.get(k) ?? 0) + v);
      const top = [...sum].sort((a, b) => b[1] - a[1]).slice(0, n)
        .map(([k, v]) => [k.slice(0, 110), fmtMs(v / app.results.length)]);
      console.log(`\n${app.key}, ${step.key}: self time by innermost frame, mean per run (outside events that name a phase)`);
      console.log(table(['frame', 'ms'], top, ['l', 'r']));
      const events = new Map();
      for (const r of app.results) {
        for (const [k, v] of r[step.key].byEvent) {
          if (eventPhases.includes(k.slice(0, k.indexOf(':')))) events.set(k, (events.get(k) ?? 0) + v);
        }
      }
      const rows = [...events].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, fmtMs(v / app.results.length)]);
      console.log(table([`${eventPhases.join(', ')}: innermost trace events`, 'ms'], rows, ['l', 'r']));
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`trace: ${err.stack || err}`);
    process.exit(1);
  });
}
