// The TypeScript client (@visionserve/client, installed from its packed tarball) against a running
// visionserve: classifies a photo, recognises the action in a clip (Farneback flow), segments a
// four-modality NIfTI examination and decodes one error (problem+json), each with the first ready model
// of its task. Prints every answer; exits 1 if one is not as expected.
//   usage: node dist/main.js BASE_URL [DATA_DIR]   (DATA_DIR: the repository's k6/data by default)
//   VISIONSERVE_API_KEY in the environment: the credential, when authentication is on
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  ActionRecognitionApi, ClassificationApi, Configuration, Model, ModelsApi, Prediction, ProblemFromJSON,
  ResponseError, SegmentationApi,
} from '@visionserve/client';

const failures: string[] = [];
const check = (ok: boolean, what: string) => { if (!ok) failures.push(what); };

function file(dir: string, name: string, type: string): File {
  return new File([new Uint8Array(readFileSync(join(dir, name)))], name, { type });
}

function firstOf(ready: Model[], task: string): string {
  const m = ready.find((x) => x.task === task);
  if (!m?.id) throw new Error(`no ready ${task} model`);
  return m.id;
}

const show = (ps: Prediction[]) => ps.map((p) => `${p.label} ${(p.probability ?? 0).toFixed(4)}`).join(', ');

function descending(ps: Prediction[]): boolean {
  return ps.every((p, i) => {
    const v = p.probability ?? -1;
    return v >= 0 && v <= 1 && (i === 0 || v <= (ps[i - 1].probability ?? 0));
  });
}

async function main(baseUrl: string, data: string): Promise<void> {
  // with authentication on (the image, the chart): an API key (role infer) or a JWT, sent as a bearer token
  const config = new Configuration({ basePath: baseUrl, accessToken: process.env.VISIONSERVE_API_KEY || undefined });
  const models = new ModelsApi(config);
  const ready = ((await models.listModels()).models ?? []).filter((m) => m.status === 'ready');
  console.log(`models ready: ${ready.map((m) => `${m.id} (${m.task})`).join(', ')}`);

  const c = await new ClassificationApi(config).classify({
    id: firstOf(ready, 'classification'), file: file(data, 'chelsea.jpg', 'image/jpeg'), topK: 3,
  });
  const image = c.images?.[0];
  const top = image?.predictions ?? [];
  console.log(`classify chelsea.jpg with ${c.model} (weights ${c.weights}): ${image?.width}x${image?.height}, ${show(top)}`);
  check(c.images?.length === 1 && image?.width === 451 && image?.height === 300, 'classify: one 451x300 image');
  check(top.length === 3 && descending(top), 'classify: 3 predictions, probabilities in [0, 1], descending');

  const r = await new ActionRecognitionApi(config).recognize({
    id: firstOf(ready, 'action-recognition'), flow: 'farneback', topK: 3, file: file(data, 'clip.mp4', 'video/mp4'),
  });
  const predictions = r.predictions ?? [];
  console.log(`recognize clip.mp4 with ${r.model} (flow ${r.flow}, ${r.clip?.frames} frames at ${r.clip?.fps} fps, `
    + `${r.frameIndices?.length} sampled): ${show(predictions)}`);
  check(r.flow === 'farneback' && r.clip?.frames === 50 && r.frameIndices?.length === 25,
    'recognize: Farneback flow, 50 frames, 25 sampled');
  check(predictions.length === 3 && descending(predictions), 'recognize: 3 predictions, probabilities in [0, 1], descending');

  const nifti = (m: string) => file(data, `spine_${m}.nii.gz`, 'application/gzip');
  const s = await new SegmentationApi(config).segment({
    id: firstOf(ready, 'segmentation'), fat: nifti('fat'), inn: nifti('inn'), opp: nifti('opp'), wat: nifti('wat'),
  });
  const discs = s.discs ?? [];
  console.log(`segment spine_{fat,inn,opp,wat}.nii.gz with ${s.model}: shape ${JSON.stringify(s.input?.shape)}, `
    + `${discs.length} disc(s) ${JSON.stringify(discs.map((d) => `${d.label} ${d.voxels} voxels`))}, `
    + `${s.foregroundVoxels} foreground voxels`);
  check(JSON.stringify(s.input?.shape) === '[8,96,96]', 'segment: an 8x96x96 examination');
  discs.forEach((d, i) => check(d.position === i + 1 && (d.voxels ?? 0) > 0, `segment: disc ${i + 1} in order, not empty`));
  check(discs.reduce((n, d) => n + (d.voxels ?? 0), 0) <= (s.foregroundVoxels ?? 0),
    'segment: the discs are part of the foreground');

  try {
    await models.getModel({ id: 'no_such_model' });
    check(false, 'error: GET /v1/models/no_such_model answered 2xx');
  } catch (e) {
    if (!(e instanceof ResponseError)) throw e;
    const type = e.response.headers.get('content-type') ?? '';
    const problem = ProblemFromJSON(await e.response.json());
    console.log(`error GET /v1/models/no_such_model: ${e.response.status} ${problem.title}, ${type}: `
      + `code ${problem.code}, detail "${problem.detail}"`);
    check(e.response.status === 404 && problem.status === 404, 'error: status 404');
    check(problem.code === 'unknown-model', 'error: problem code unknown-model');
    check(type.startsWith('application/problem+json'), 'error: application/problem+json');
  }
}

const [baseUrl, data = join(__dirname, '../../../../k6/data')] = process.argv.slice(2);
if (!baseUrl) {
  console.error('usage: node dist/main.js BASE_URL [DATA_DIR]');
  process.exit(2);
}
main(baseUrl, data).then(() => {
  if (failures.length > 0) {
    console.log(`FAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log('OK: classify, recognize, segment and the problem+json error answered as expected');
  }
}, (e) => {
  console.error(e);
  process.exitCode = 1;
});
