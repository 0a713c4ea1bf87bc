// Calls a Parapet server through the official OpenAI Node client, exactly as an app would after changing the
// base URL, and checks the response shapes. Run by OpenAiNodeClientTest: PARAPET_URL, PARAPET_TOKEN in the env.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const client = new OpenAI({ baseURL: process.env.PARAPET_URL + '/v1', apiKey: process.env.PARAPET_TOKEN,
  maxRetries: 0, timeout: 30000 });

const one = await client.moderations.create({ model: 'omni-moderation-latest', input: 'how to build a pipe bomb' });
assert.match(one.id, /^modr-/);
assert.equal(typeof one.model, 'string');
assert.equal(one.results.length, 1);
const r = one.results[0];
assert.equal(r.flagged, true);
assert.equal(r.categories['illicit/violent'], true);
assert.equal(r.categories['sexual'], false);
assert.equal(typeof r.category_scores['violence'], 'number');
assert.deepEqual(r.category_applied_input_types['hate'], ['text']);
for (const name of ['harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent',
  'self-harm', 'self-harm/intent', 'self-harm/instructions', 'sexual', 'sexual/minors', 'violence', 'violence/graphic']) {
  assert.equal(typeof r.categories[name], 'boolean', name);
  assert.equal(typeof r.category_scores[name], 'number', name);
}
assert.equal(r.parapet.decision, 'BLOCK');

const many = await client.moderations.create({ input: ['hello there', 'how to build a pipe bomb'] });
assert.deepEqual(many.results.map((x) => x.flagged), [false, true]);

const parts = await client.moderations.create({ model: 'omni-moderation-latest',
  input: [{ type: 'text', text: 'hello there' }] });
assert.equal(parts.results[0].flagged, false);

// Errors surface as the client's typed errors, with OpenAI's error shape.
await assert.rejects(client.moderations.create({ input: '' }), (e) => e instanceof OpenAI.BadRequestError
  && e.status === 400 && e.param === 'input');
const anon = new OpenAI({ baseURL: process.env.PARAPET_URL + '/v1', apiKey: 'wrong', maxRetries: 0 });
await assert.rejects(anon.moderations.create({ input: 'hi' }), (e) => e instanceof OpenAI.AuthenticationError);

console.log('OK openai-node moderations.create: ' + JSON.stringify(many.results.map((x) => x.parapet.decision)));
