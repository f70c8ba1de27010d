// The seed scenario, the two-tab sign-out (issue 12) and the sign-in in a window of its own (issue 22) in headless
// Firefox ESR, driven by geckodriver: the tests are tests/webdriver/scenarios.mjs, on this suite's own provider
// (127.0.0.1:9010) and app (127.0.0.1:8091).
//
//   CSP_LOOPBACK=1 scripts/release-build && node --test tests/firefox/

import { ENGINES } from '../webdriver/harness.mjs';
import { scenarioTests } from '../webdriver/scenarios.mjs';

scenarioTests(ENGINES.firefox, { popup: true });
