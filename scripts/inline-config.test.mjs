// Unit tests of scripts/inline-config.mjs: whatever config.json holds stays data inside its block (nothing in it
// can end the element or open a comment), the block reads back as the same JSON, and a second run replaces the
// block rather than adding one.
//
//   node --test scripts/inline-config.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { inlineConfig } from './inline-config.mjs';

const PAGE = `<!doctype html><html><head><meta charset="utf-8" />
    <link rel="preload" href="config.json" as="fetch" crossorigin="anonymous" />
    <link rel="stylesheet" href="app.css" /></head><body></body></html>`;

/** The block's text as an HTML parser reads it: script data ends at the first `</script`, in any case. */
function blockText(html) {
  const [, text] = html.match(/<script type="application\/json" id="config">([\s\S]*?)<\/script/i);
  return text;
}

test('a hostile value stays inside the block and reads back unchanged', () => {
  const config = {
    issuer: 'https://id.example',
    client_id: '</script><script>alert(1)</script><!--<script>',
    scope: 'openid $& $1 $` \u2028\u2029 </SCRIPT >',
  };
  const html = inlineConfig(PAGE, JSON.stringify(config, null, 2));
  const text = blockText(html);
  assert.ok(!text.includes('<'), text);
  assert.deepEqual(JSON.parse(text), config);
  assert.ok(!html.includes('rel="preload" href="config.json"'), 'the preload is replaced');
  assert.ok(html.includes('<link rel="stylesheet" href="app.css" />'), 'the rest of the page is kept');
});

test('a second run replaces the block, and a page without either is refused', () => {
  const once = inlineConfig(PAGE, '{"client_id":"a<b"}');
  assert.equal(inlineConfig(once, '{"client_id":"a<b"}'), once);
  const again = inlineConfig(once, '{"client_id":"c"}');
  assert.equal(again.match(/id="config"/g).length, 1);
  assert.deepEqual(JSON.parse(blockText(again)), { client_id: 'c' });
  assert.throws(() => inlineConfig('<html><head></head></html>', '{}'), /neither the preload/);
  assert.throws(() => inlineConfig(PAGE, '{"client_id":'), SyntaxError);
});
