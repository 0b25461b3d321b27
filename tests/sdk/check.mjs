// TenantRelay through the official SDKs: each call as a user's program makes it, pointed at the
// relay with a tenant key. Prints one line per check and exits non-zero if any fails.
// Environment: RELAY_URL (http://127.0.0.1:PORT), TENANT_KEY, OPENAI_MODEL, CLAUDE_MODEL.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const base = process.env.RELAY_URL;
const key = process.env.TENANT_KEY;
const gpt = process.env.OPENAI_MODEL ?? 'gpt-4o';
const claude = process.env.CLAUDE_MODEL ?? 'claude-sonnet-4-5';
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
// ANTHROPIC_BASE_URL is the relay's root, as Claude clients take it.
const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });

let failed = 0;
async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(`ok    ${name}: ${detail}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL  ${name}: ${e?.status ?? ''} ${e?.message ?? e}`);
  }
}
function expect(cond, what) {
  if (!cond) throw new Error(`expected ${what}`);
}

await check('anthropic messages.create', async () => {
  const { data: m, response } = await anthropic.messages
    .create({ model: claude, max_tokens: 64, system: 'Be brief.',
              messages: [{ role: 'user', content: 'Say hello.' }] })
    .withResponse();
  expect(m.type === 'message' && m.content[0]?.type === 'text', 'a text message');
  expect(m.usage.input_tokens > 0 && m.usage.output_tokens > 0, 'usage');
  return `${m.stop_reason}, ${m.usage.input_tokens}+${m.usage.output_tokens} tokens, ` +
         `cost header ${response.headers.get('x-tenantrelay-cost-usd')}`;
});

await check('anthropic messages.stream', async () => {
  const stream = anthropic.messages.stream({ model: claude, max_tokens: 64,
                                             messages: [{ role: 'user', content: 'Count.' }] });
  let text = '';
  let cost;
  stream.on('text', (t) => { text += t; });
  // The SDK's final message keeps only the usage fields it knows; cost_usd is in the event.
  stream.on('streamEvent', (e) => { if (e.type === 'message_delta') cost = e.usage.cost_usd; });
  const m = await stream.finalMessage();
  expect(text.length > 0 && m.usage.output_tokens > 0, 'streamed text and usage');
  return `${text.length} chars, ${m.stop_reason}, output_tokens ${m.usage.output_tokens}, ` +
         `cost_usd ${cost}`;
});

await check('anthropic messages.create with a tool', async () => {
  const m = await anthropic.messages.create({
    model: claude, max_tokens: 64,
    tools: [{ name: 'get_weather', description: 'Weather in a city',
              input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    tool_choice: { type: 'tool', name: 'get_weather' },
    messages: [{ role: 'user', content: 'Weather in Paris?' }] });
  const use = m.content.find((b) => b.type === 'tool_use');
  expect(use && m.stop_reason === 'tool_use', 'a tool_use block');
  return `tool_use ${use.name} ${JSON.stringify(use.input)}`;
});

await check('anthropic messages.countTokens', async () => {
  const r = await anthropic.messages.countTokens({ model: claude,
    messages: [{ role: 'user', content: 'How many tokens is this?' }] });
  expect(r.input_tokens > 0, 'input_tokens');
  return `input_tokens ${r.input_tokens}`;
});

await check('anthropic models.list', async () => {
  const page = await anthropic.models.list();
  expect(page.data.length > 0 && page.data[0].type === 'model', 'models');
  return page.data.map((m) => m.id).join(', ');
});

await check('anthropic error shape (bad key)', async () => {
  const bad = new Anthropic({ baseURL: base, apiKey: 'sk-not-a-key', maxRetries: 0 });
  try {
    await bad.messages.create({ model: claude, max_tokens: 8,
                                messages: [{ role: 'user', content: 'x' }] });
  } catch (e) {
    expect(e.status === 401 && e.error?.error?.type === 'authentication_error',
           'authentication_error');
    return `${e.status} ${e.error.error.type}`;
  }
  throw new Error('a bad key was accepted');
});

await check('openai models.retrieve', async () => {
  const m = await openai.models.retrieve(gpt);
  expect(m.id === gpt, 'the model');
  return `${m.id} (${m.object})`;
});

await check('openai chat.completions.create', async () => {
  const { data: c, response } = await openai.chat.completions
    .create({ model: gpt, messages: [{ role: 'user', content: 'Hi' }] })
    .withResponse();
  expect(c.choices[0].message.content.length > 0, 'content');
  return `${c.usage.total_tokens} tokens, cost header ` +
         `${response.headers.get('x-tenantrelay-cost-usd')}`;
});

await check('openai chat stream with usage', async () => {
  const stream = await openai.chat.completions.create({
    model: gpt, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Hi' }] });
  let usage;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  expect(usage?.completion_tokens > 0, 'a usage chunk');
  return `${usage.prompt_tokens}+${usage.completion_tokens} tokens, cost_usd ${usage.cost_usd}`;
});

await check('openai responses.create', async () => {
  const r = await openai.responses.create({ model: gpt, input: 'Say hello.' });
  expect(r.output_text.length > 0 && r.usage.output_tokens > 0, 'output_text and usage');
  const next = await openai.responses.create({ model: gpt, input: 'Again.',
                                               previous_response_id: r.id });
  expect(next.output_text.length > 0, 'a continued response');
  return `${r.usage.input_tokens}+${r.usage.output_tokens} tokens, continued as ${next.id}`;
});

await check('openai responses.create stream', async () => {
  const stream = await openai.responses.create({ model: gpt, input: 'Count.', stream: true });
  let done;
  for await (const event of stream) if (event.type === 'response.completed') done = event;
  expect(done?.response.usage.output_tokens > 0, 'response.completed with usage');
  return `output_tokens ${done.response.usage.output_tokens}, ` +
         `cost_usd ${done.response.usage.cost_usd}`;
});

await check('openai completions.create', async () => {
  const c = await openai.completions.create({ model: gpt, prompt: 'Once upon a time',
                                             max_tokens: 8 });
  expect(c.choices[0].text.length > 0, 'text');
  return `${c.usage.total_tokens} tokens`;
});

await check('openai moderations.create', async () => {
  const m = await openai.moderations.create({ input: 'hello' });
  expect(Array.isArray(m.results), 'results');
  return `${m.results.length} result(s), flagged ${m.results[0].flagged}`;
});

console.log(failed ? `${failed} check(s) failed` : 'every check passed');
process.exit(failed ? 1 : 0);
