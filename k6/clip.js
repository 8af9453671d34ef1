// Video action recognition: POST /v1/models/{head}/recognize (multipart and raw body) with a real
// short clip (k6/data/clip.mp4: 2 s, 25 fps, 320x240 H.264, a textured square moving over a smooth
// background), and a clip below the minimum length as the problem+json error path.
//
//   k6 run -e PROFILE=smoke k6/clip.js
//   k6 run -e PROFILE=load -e RATE=0.5 -e DURATION=5m -e HEAD=ts_lstm_ucf101 -e FLOW=farneback k6/clip.js
//
// A clip costs two ResNet-101 passes over 25 frames each plus the optical flow (Farneback ~25 ms a
// pair, TV-L1 seconds): on CPU keep RATE well under 1/s. Thresholds: p95 of the recognize requests
// under P95_MS (default 10000 ms), fewer than 1 % failed requests, more than 99 % of checks passing.
import http from 'k6/http';
import { check, fail } from 'k6';
import { BASE_URL, PROFILE, params, scenario } from './lib/profiles.js';

const HEAD = __ENV.HEAD || 'ts_lstm_ucf101';
const FLOW = __ENV.FLOW || 'farneback';
const TOP_K = Number(__ENV.TOP_K || 3);
const P95_MS = Number(__ENV.P95_MS || 10000);
const FRAMES = 50; // of k6/data/clip.mp4
const clip = open('./data/clip.mp4', 'b');
const url = `${BASE_URL}/v1/models/${HEAD}/recognize?flow=${FLOW}&top_k=${TOP_K}`;

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: { [PROFILE]: scenario(PROFILE) },
  thresholds: {
    'http_req_duration{endpoint:recognize}': [`p(95)<${P95_MS}`],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  const res = http.get(`${BASE_URL}/v1/models`, params({ tags: { endpoint: 'list' } }));
  if (res.status !== 200) fail(`GET /v1/models answered ${res.status}`);
  const models = /** @type {any[]} */ (res.json('models'));
  if (!(models || []).some((m) => m.id === HEAD)) {
    fail(`head ${HEAD} is not served (have: ${(models || []).map((m) => m.id).join(', ')})`);
  }
}

function checkResult(res) {
  return check(res, {
    'status 200': (r) => r.status === 200,
    'model echoed': (r) => r.json('model') === HEAD,
    'flow method echoed': (r) => r.json('flow') === FLOW,
    'all frames decoded': (r) => r.json('clip.frames') === FRAMES,
    '25 sampled frames': (r) => (/** @type {any[]} */ (r.json('frameIndices')) || []).length === 25,
    'top-k predictions': (r) => (/** @type {any[]} */ (r.json('predictions')) || []).length === TOP_K,
    'probabilities in [0, 1]': (r) => {
      const p = /** @type {any[]} */ (r.json('predictions')) || [];
      return p.every((x) => x.probability >= 0 && x.probability <= 1);
    },
  });
}

export default function () {
  // Odd iterations send the clip as a multipart file, even ones as the raw body.
  const res = __ITER % 2 === 1
    ? http.post(url, { file: http.file(clip, 'clip.mp4', 'video/mp4') }, params({ tags: { endpoint: 'recognize' } }))
    : http.post(url, clip, params({ headers: { 'Content-Type': 'video/mp4' }, tags: { endpoint: 'recognize' } }));
  checkResult(res);

  // Every fifth iteration: a truncated file the service must refuse as problem+json, not a 500.
  if (__ITER % 5 === 0) {
    const bad = http.post(url, clip.slice(0, 2000), params({
      headers: { 'Content-Type': 'video/mp4' },
      tags: { endpoint: 'error' },
      responseCallback: http.expectedStatuses(400, 415, 422),
    }));
    check(bad, {
      'broken clip is a 4xx': (r) => r.status >= 400 && r.status < 500,
      'error is problem+json': (r) => String(r.headers['Content-Type']).startsWith('application/problem+json'),
    });
  }
}
