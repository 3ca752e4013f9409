// The small Espruino bundles (__STORE__ false) have no journal: build.mjs reads every
// `.journal` of core/broker as the constant null there (journalNull), so the state owner's
// records fold away, and the record codec resolves to ports/espruino/no-store.ts. This checks
// the transform and that none of it is left in dist/espruino/ganglion.js and ganglion-mqtt3.js;
// the scenarios in test/espruino run those bundles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// A plain JS module, imported through a computed specifier so the type declared here is used.
const mod: {
  journalNull(source: string): { text: string; count: number };
  moduleBytes(name: string): Promise<{ rows: [string, number][]; total: number }>;
} = await import(new URL('build.mjs', 'file://' + root).href);
const { journalNull, moduleBytes } = mod;

test('reads of the journal become null; the writes that set it stay', () => {
  const r = journalNull('this.journal = null; if (this.journal !== null) this.journal.add(r); b.journal = j; const j = b.journal; c.broker.journal === x');
  assert.is(r.text, 'this.journal = null; if (null !== null) null.add(r); b.journal = j; const j = null; null === x');
  assert.is(r.count, 4);
});

test("the state owner's journalOf(b, s) becomes null, other names are left alone", () => {
  const r = journalNull('const j = journalOf(b, s); x.journals; b.journalOf; journalOf(b, t)');
  assert.is(r.text, 'const j = null; x.journals; b.journalOf; journalOf(b, t)');
  assert.is(r.count, 1);
});

for (const name of ['espruino', 'espruino-mqtt3']) {
  test(`${name}: no journal, record codec, start-up from records or snapshots in the bundle`, async () => {
    const files = (await moduleBytes(name)).rows.map((r) => r[0]);
    assert.ok(files.includes('core/broker/state/owner.ts'), 'the state owner is there');
    for (const f of ['journal', 'record-codec', 'load', 'snapshot']) assert.not.ok(files.includes('core/broker/state/' + f + '.ts'), f);
  });
}

test('espruino-full has the record codec and the journal', async () => {
  const files = (await moduleBytes('espruino-full')).rows.map((r) => r[0]);
  for (const f of ['journal', 'record-codec']) assert.ok(files.includes('core/broker/state/' + f + '.ts'), f);
});

test.run();
