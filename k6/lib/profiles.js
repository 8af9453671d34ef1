// Load profiles shared by the k6 scripts. Pick one with -e PROFILE=smoke|load.
//   smoke: 1 VU for SMOKE_DURATION (default 30s): every endpoint answers as documented.
//   load:  constant arrival rate RATE req/s (default 10) for DURATION (default 2m); open model, so a
//          slow service shows up as latency and dropped iterations, not as a lower request rate.

/** @returns {import('k6/options').Scenario} */
export function scenario(profile) {
  if (profile === 'load') {
    return {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 10),
      timeUnit: '1s',
      duration: __ENV.DURATION || '2m',
      preAllocatedVUs: Number(__ENV.VUS || 20),
      maxVUs: Number(__ENV.MAX_VUS || 100),
    };
  }
  if (profile === 'smoke') {
    return { executor: 'constant-vus', vus: 1, duration: __ENV.SMOKE_DURATION || '30s' };
  }
  throw new Error(`unknown PROFILE ${profile} (smoke | load)`);
}

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const PROFILE = __ENV.PROFILE || 'smoke';

// With authentication on (the Docker image, the Helm chart): -e API_KEY=KEY (role infer), sent as
// `Authorization: Bearer KEY` on every request made with params().
const AUTH = __ENV.API_KEY ? { Authorization: `Bearer ${__ENV.API_KEY}` } : {};

/**
 * Request params with the bearer credential added to their headers.
 * @param {import('k6/http').RefinedParams<any>} [p]
 * @returns {import('k6/http').RefinedParams<any>}
 */
export function params(p = {}) {
  return { ...p, headers: { ...AUTH, ...(p.headers || {}) } };
}
