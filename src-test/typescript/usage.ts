// Type-checked in CI together with the TypeScript client generated from the service's OpenAPI
// document (target/typescript-client, see pom.xml): if the API changes shape, this stops compiling.
import { Configuration, ModelsApi, ResponseError } from '../target/typescript-client/src';

const api = new ModelsApi(new Configuration({ basePath: 'http://127.0.0.1:8080' }));

/** Top-k labels of one image with the first ready classification model. */
export async function classify(image: Blob, topK = 5): Promise<string[]> {
  const { models } = await api.list();
  const model = (models ?? []).find((m) => m.task === 'classification' && m.status === 'ready');
  if (!model?.id) throw new Error('no classification model is ready');
  try {
    const result = await api.classifyMultipart({ id: model.id, file: image, topK });
    return (result.images?.[0]?.predictions ?? []).map((p) => `${p.label} ${(p.probability ?? 0).toFixed(3)}`);
  } catch (e) {
    if (e instanceof ResponseError) {
      const problem = await e.response.json(); // application/problem+json
      throw new Error(`${e.response.status} ${problem.title}: ${problem.detail}`);
    }
    throw e;
  }
}
