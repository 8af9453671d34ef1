// Intervertebral disc segmentation: POST /v1/models/{id}/segment with the four Dixon modalities as
// NIfTI files (k6/data/spine_{fat,inn,opp,wat}.nii.gz: a synthetic 8 x 96 x 96 int16 examination
// written by the service's own NIfTI writer, seven tilted ellipsoid discs on a rotated grid), as JSON,
// as the mask (.nii.gz) and as the preview PNG; a missing modality as the problem+json error path.
//
//   k6 run -e PROFILE=smoke k6/segmentation.js
//   k6 run -e PROFILE=load -e RATE=1 -e DURATION=5m k6/segmentation.js
//
// Thresholds: p95 of the segment requests under P95_MS (default 3000 ms for these 8 slices on CPU),
// fewer than 1 % failed requests, more than 99 % of checks passing. The service takes one volume at
// a time by default (visionserve.segmentation.max-concurrent), queues two more (queue-capacity) and
// answers 503 overloaded beyond them.
import http from 'k6/http';
import { check, fail } from 'k6';
import { BASE_URL, PROFILE, params, scenario } from './lib/profiles.js';

const MODEL = __ENV.MODEL || 'ivd_net';
const P95_MS = Number(__ENV.P95_MS || 3000);
const SHAPE = [8, 96, 96]; // of the sample volumes
const MODALITIES = ['fat', 'inn', 'opp', 'wat'];
/** @type {Record<string, ArrayBuffer>} */
const volumes = {};
for (const m of MODALITIES) volumes[m] = open(`./data/spine_${m}.nii.gz`, 'b');
const url = `${BASE_URL}/v1/models/${MODEL}/segment`;

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: { [PROFILE]: scenario(PROFILE) },
  thresholds: {
    'http_req_duration{endpoint:segment}': [`p(95)<${P95_MS}`],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  const res = http.get(`${BASE_URL}/v1/models`, params({ tags: { endpoint: 'list' } }));
  if (res.status !== 200) fail(`GET /v1/models answered ${res.status}`);
  const models = /** @type {any[]} */ (res.json('models'));
  if (!(models || []).some((m) => m.id === MODEL)) {
    fail(`model ${MODEL} is not served (have: ${(models || []).map((m) => m.id).join(', ')})`);
  }
}

/** The four modalities as multipart files, leaving out those named. */
function parts(...without) {
  /** @type {Record<string, import('k6/http').FileData>} */
  const body = {};
  for (const m of MODALITIES) {
    if (!without.includes(m)) body[m] = http.file(volumes[m], `spine_${m}.nii.gz`, 'application/gzip');
  }
  return body;
}

export default function () {
  const json = http.post(url, parts(), params({ tags: { endpoint: 'segment' } }));
  check(json, {
    'status 200': (r) => r.status === 200,
    'model echoed': (r) => r.json('model') === MODEL,
    'input shape': (r) => JSON.stringify(r.json('input.shape')) === JSON.stringify(SHAPE),
    'discs listed': (r) => Array.isArray(r.json('discs')),
    'timings': (r) => Number(r.json('timings.total')) > 0,
  });

  // Every fourth iteration: the mask as .nii.gz, the preview as PNG, and a missing modality.
  if (__ITER % 4 === 0) {
    const mask = http.post(url, parts(), params({ headers: { Accept: 'application/gzip' }, responseType: 'binary', tags: { endpoint: 'segment' } }));
    check(mask, {
      'mask is gzip': (r) => r.status === 200 && new Uint8Array(/** @type {ArrayBuffer} */ (r.body))[0] === 0x1f,
    });
    const preview = http.post(`${url}?format=preview`, parts(), params({ tags: { endpoint: 'segment' } }));
    check(preview, {
      'preview is a PNG': (r) => r.status === 200 && String(r.headers['Content-Type']).startsWith('image/png'),
    });
    const bad = http.post(url, parts('wat'), params({
      tags: { endpoint: 'error' },
      responseCallback: http.expectedStatuses(400),
    }));
    check(bad, {
      'missing modality is 400': (r) => r.status === 400,
      'error is problem+json': (r) => String(r.headers['Content-Type']).startsWith('application/problem+json'),
    });
  }
}
