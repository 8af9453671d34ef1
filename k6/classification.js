// Image classification: POST /v1/models/{id}/classify (multipart and raw body), /classify-batch,
// and the unsupported-media-type error path, with a real photo (k6/data/chelsea.jpg, CC0).
//
//   k6 run -e PROFILE=smoke k6/classification.js
//   k6 run -e PROFILE=load -e RATE=20 -e DURATION=5m -e MODEL=inception_next_tiny k6/classification.js
//
// Thresholds: p95 of the classify requests under P95_MS (default 500 ms; raise it for large models on
// CPU), fewer than 1 % failed requests, more than 99 % of checks passing.
import http from 'k6/http';
import { check, fail } from 'k6';
import { FormData } from 'https://jslib.k6.io/formdata/0.0.2/index.js';
import { BASE_URL, PROFILE, params, scenario } from './lib/profiles.js';

const MODEL = __ENV.MODEL || 'inception_next_tiny';
const TOP_K = Number(__ENV.TOP_K || 5);
const P95_MS = Number(__ENV.P95_MS || 500);
const image = open('./data/chelsea.jpg', 'b');
const url = `${BASE_URL}/v1/models/${MODEL}`;

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: { [PROFILE]: scenario(PROFILE) },
  thresholds: {
    'http_req_duration{endpoint:classify}': [`p(95)<${P95_MS}`],
    'http_req_duration{endpoint:classify-batch}': [`p(95)<${P95_MS * 4}`],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  const res = http.get(`${BASE_URL}/v1/models`, params({ tags: { endpoint: 'list' } }));
  if (res.status !== 200) fail(`GET /v1/models answered ${res.status}`);
  const models = /** @type {any[]} */ (res.json('models'));
  const model = (models || []).find((m) => m.id === MODEL);
  if (!model) fail(`model ${MODEL} is not served (have: ${(models || []).map((m) => m.id).join(', ')})`);
  return { labels: model.labels ?? model.num_classes ?? null };
}

function checkResult(res, images) {
  return check(res, {
    'status 200': (r) => r.status === 200,
    'model echoed': (r) => r.json('model') === MODEL,
    'one result per image': (r) => (/** @type {any[]} */ (r.json('images')) || []).length === images,
    'top-k predictions': (r) => (/** @type {any[]} */ (r.json('images.0.predictions')) || []).length === TOP_K,
    'probabilities in [0, 1]': (r) => {
      const p = /** @type {any[]} */ (r.json('images.0.predictions')) || [];
      return p.every((x) => x.probability >= 0 && x.probability <= 1);
    },
  });
}

export default function () {
  const multipart = http.post(`${url}/classify?top_k=${TOP_K}`,
    { file: http.file(image, 'chelsea.jpg', 'image/jpeg') }, params({ tags: { endpoint: 'classify' } }));
  checkResult(multipart, 1);

  const raw = http.post(`${url}/classify?top_k=${TOP_K}`, image,
    params({ headers: { 'Content-Type': 'image/jpeg' }, tags: { endpoint: 'classify' } }));
  checkResult(raw, 1);

  // Every tenth iteration: a batch of two, and an error the service must answer as problem+json.
  if (__ITER % 10 === 0) {
    // a repeated multipart field needs k6's FormData helper (a plain object holds one file per name)
    const form = new FormData();
    form.append('files', http.file(image, 'a.jpg', 'image/jpeg'));
    form.append('files', http.file(image, 'b.jpg', 'image/jpeg'));
    const batch = http.post(`${url}/classify-batch?top_k=${TOP_K}`, form.body(), params({
      headers: { 'Content-Type': `multipart/form-data; boundary=${form.boundary}` },
      tags: { endpoint: 'classify-batch' },
    }));
    checkResult(batch, 2);

    const bad = http.post(`${url}/classify`, 'not an image', params({
      headers: { 'Content-Type': 'text/plain' },
      tags: { endpoint: 'error' },
      responseCallback: http.expectedStatuses(415),
    }));
    check(bad, {
      'unsupported media type is 415': (r) => r.status === 415,
      'error is problem+json': (r) => String(r.headers['Content-Type']).startsWith('application/problem+json'),
    });
  }
}
