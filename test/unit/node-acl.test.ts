// ACL file parsing and matching (ports/node/acl.ts): default deny, deny beats allow, `+`/`#`
// patterns, %u / %c substitution, scopes per user and per client, $SYS only where named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { covers, intersects, matches, mayPublish, mayRead, maySubscribe, parseAcl } from '../../ports/node/acl.js';

const L = (s: string): string[] => s.split('/');

test('matches: MQTT topic matching, with $ topics out of reach of leading wildcards [MQTT-4.7.2-1]', () => {
  assert.ok(matches(L('a/+/c'), L('a/b/c')));
  assert.ok(matches(L('a/#'), L('a')));
  assert.ok(matches(L('a/#'), L('a/b/c')));
  assert.ok(matches(L('#'), L('a/b')));
  assert.ok(matches(L('+/+'), L('/x')));
  assert.not.ok(matches(L('a/+'), L('a/b/c')));
  assert.not.ok(matches(L('#'), L('$SYS/broker/uptime')));
  assert.not.ok(matches(L('+/broker/uptime'), L('$SYS/broker/uptime')));
  assert.ok(matches(L('$SYS/#'), L('$SYS/broker/uptime')));
});

test('covers: every topic of the filter is in the pattern', () => {
  assert.ok(covers(L('a/#'), L('a/b/#')));
  assert.ok(covers(L('a/#'), L('a/+')));
  assert.ok(covers(L('a/+'), L('a/b')));
  assert.ok(covers(L('a/+'), L('a/+')));
  assert.ok(covers(L('#'), L('#')));
  assert.not.ok(covers(L('a/+'), L('a/#')));
  assert.not.ok(covers(L('a/b'), L('a/+')));
  assert.not.ok(covers(L('#'), L('$SYS/#')));
  assert.not.ok(covers(L('a/+/c'), L('a/+')));
});

test('covers: "+/#" covers "#" (both match every topic of one level or more), "a/+/#" does not cover "a/#" (which matches "a")', () => {
  assert.ok(covers(L('+/#'), L('#')));
  assert.not.ok(covers(L('a/+/#'), L('a/#')));
  assert.not.ok(covers(L('+/+'), L('#')));
});

test('intersects: some topic matches both', () => {
  assert.ok(intersects(L('a/#'), L('a')));
  assert.ok(intersects(L('a/+'), L('+/b')));
  assert.ok(intersects(L('a/secret/#'), L('a/+')));   // both match a/secret
  assert.ok(intersects(L('#'), L('x/y')));
  assert.not.ok(intersects(L('a/secret/+'), L('a/+')));
  assert.not.ok(intersects(L('a/b'), L('a/c')));
  assert.not.ok(intersects(L('#'), L('$SYS/x')));
  assert.ok(intersects(L('$SYS/#'), L('$SYS/+')));
});

const ACL = parseAcl(`
# everyone
allow read $SYS/broker/uptime
topic read public/#
pattern readwrite users/%u/#

user alice
allow readwrite home/#
deny write home/locks/#

client sensor-7
allow write devices/%c/#

all
allow write log/%c
`);

test('default deny; scopes for users, clients and everyone', () => {
  assert.ok(mayPublish(ACL, 'alice', 'any', 'home/lamp'));
  assert.not.ok(mayPublish(ACL, 'bob', 'any', 'home/lamp'));
  assert.not.ok(mayPublish(ACL, null, 'any', 'home/lamp'));
  assert.ok(mayPublish(ACL, null, 'sensor-7', 'devices/sensor-7/temp'));
  assert.not.ok(mayPublish(ACL, null, 'sensor-8', 'devices/sensor-8/temp'));
  assert.ok(mayPublish(ACL, 'bob', 'c1', 'log/c1'));
  assert.not.ok(mayPublish(ACL, 'bob', 'c1', 'log/c2'));
  assert.not.ok(mayPublish(ACL, 'bob', 'c1', 'unlisted'));
});

test('deny beats allow', () => {
  assert.not.ok(mayPublish(ACL, 'alice', 'x', 'home/locks/front'));
  assert.ok(maySubscribe(ACL, 'alice', 'x', 'home/locks/front'));   // the deny is for write only
});

test('%u and %c substitution; values that would widen a rule do not match', () => {
  assert.ok(mayPublish(ACL, 'bob', 'x', 'users/bob/notes'));
  assert.ok(maySubscribe(ACL, 'bob', 'x', 'users/bob/#'));
  assert.not.ok(maySubscribe(ACL, 'bob', 'x', 'users/alice/#'));
  assert.ok(maySubscribe(ACL, 'bob', 'x', 'users/#'));                // granted, filtered per message:
  assert.ok(mayRead(ACL, 'bob', 'x', 'users/bob/notes'));
  assert.not.ok(mayRead(ACL, 'bob', 'x', 'users/alice/notes'));
  assert.not.ok(mayPublish(ACL, null, 'x', 'users//notes'));          // no user name
  assert.not.ok(mayPublish(ACL, '+', 'x', 'users/+/notes'));
  assert.not.ok(maySubscribe(ACL, '#', 'x', 'users/#'));
  assert.not.ok(mayPublish(ACL, 'a/b', 'x', 'users/a/b/c'));
});

test('subscriptions: allowed when a read rule can match, refused when a deny rule covers them all', () => {
  assert.ok(maySubscribe(ACL, null, 'x', 'public/+/news'));
  assert.ok(maySubscribe(ACL, null, 'x', 'public/#'));
  assert.ok(maySubscribe(ACL, null, 'x', '#'));            // public/... can match: filtered per message
  assert.not.ok(maySubscribe(ACL, null, 'x', 'private/#')); // nothing there may be read
  const acl = parseAcl('allow read a/#\ndeny read a/secret/+\n');
  assert.ok(maySubscribe(acl, null, 'x', 'a/+'));
  assert.ok(maySubscribe(acl, null, 'x', 'a/#'));
  assert.not.ok(maySubscribe(acl, null, 'x', 'a/secret/x'));
  assert.not.ok(maySubscribe(acl, null, 'x', 'a/secret/+'));
});

test('reads are decided per message: a wide subscription gets only the topics the rules allow', () => {
  const acl = parseAcl('allow read a/#\ndeny read a/secret/+\n');
  assert.ok(mayRead(acl, null, 'x', 'a/open'));
  assert.ok(mayRead(acl, null, 'x', 'a/secret'));
  assert.not.ok(mayRead(acl, null, 'x', 'a/secret/x'));
  assert.not.ok(mayRead(acl, null, 'x', 'b'));
});

test('$SYS: readable only where a rule names it; # never grants it', () => {
  assert.ok(maySubscribe(ACL, null, 'x', '$SYS/broker/uptime'));
  assert.ok(maySubscribe(ACL, null, 'x', '$SYS/#'));       // granted, but only uptime is delivered
  assert.ok(mayRead(ACL, null, 'x', '$SYS/broker/uptime'));
  assert.not.ok(mayRead(ACL, null, 'x', '$SYS/broker/clients/connected'));
  assert.not.ok(maySubscribe(ACL, null, 'x', '$SYS/broker/clients/connected'));
  const open = parseAcl('allow readwrite #\n');
  assert.ok(maySubscribe(open, null, 'x', 'anything/at/all'));
  assert.not.ok(maySubscribe(open, null, 'x', '$SYS/#'));
  assert.not.ok(mayRead(open, null, 'x', '$SYS/broker/uptime'));
  assert.not.ok(mayPublish(open, null, 'x', '$SYS/broker/uptime'));
});

test('mosquitto spellings: topic with no access is readwrite; topic deny denies both', () => {
  const acl = parseAcl('topic a/#\ntopic deny a/b\ntopic write w\n');
  assert.ok(mayPublish(acl, null, 'x', 'a/c'));
  assert.ok(maySubscribe(acl, null, 'x', 'a/c'));
  assert.not.ok(mayPublish(acl, null, 'x', 'a/b'));
  assert.not.ok(maySubscribe(acl, null, 'x', 'a/b'));
  assert.ok(mayPublish(acl, null, 'x', 'w'));
  assert.not.ok(maySubscribe(acl, null, 'x', 'w'));
});

test('pattern lines apply to everyone wherever they are written', () => {
  const acl = parseAcl('user alice\nallow read a\npattern write out/%u\n');
  assert.ok(mayPublish(acl, 'bob', 'x', 'out/bob'));
  assert.not.ok(maySubscribe(acl, 'bob', 'x', 'a'));
});

test('parse errors name the line', () => {
  const cases: Array<[string, RegExp]> = [
    ['allow read', /acl:1: expected "allow read\|write\|readwrite TOPIC"/],
    ['\nallow sometimes a/b', /acl:2: access must be read, write or readwrite, not "sometimes"/],
    ['allow read a/#/b', /acl:1: "a\/#\/b" is not a valid topic filter/],
    ['permit read a', /acl:1: unknown line "permit"/],
    ['user', /acl:1: "user" needs a name/],
    ['all users', /acl:1: "all" takes nothing after it/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseAcl(text, 'acl'), re);
});

test('mosquitto format: topic lines before the first user line are for anonymous clients only; pattern lines for everyone', () => {
  const text = 'topic read public/#\npattern read shared/%c\nuser alice\ntopic readwrite alice/#\n';
  const m = parseAcl(text, 'acl', 'mosquitto');
  assert.ok(mayRead(m, null, 'anon', 'public/x'));
  assert.not.ok(mayRead(m, 'alice', 'a1', 'public/x'));
  assert.ok(mayRead(m, 'alice', 'a1', 'alice/x'));
  assert.ok(mayRead(m, 'alice', 'a1', 'shared/a1'));
  assert.ok(mayRead(m, null, 'anon', 'shared/anon'));
  // The same file in ganglion's own format: rules before any scope line are for everyone.
  assert.ok(mayRead(parseAcl(text), 'alice', 'a1', 'public/x'));
});

test.run();
