/** The engine over the committed artifacts and the default model, as the command line opens them. */
import { modelsDir, SITE_ARTIFACTS_DIR } from '../../src/cli/node-env';
import { readArtifactsDir } from '../../src/cli/open-engine';
import { createEmbedder } from '../../src/core/embed';
import { DEFAULT_MODEL_ID, getModel } from '../../src/core/models';
import { SearchEngine } from '../../src/core/search';

export async function openShippedEngine() {
  const model = getModel(DEFAULT_MODEL_ID);
  const engine = await SearchEngine.open(await readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: model.defaultDtype }));
  const embedder = await createEmbedder({ modelId: model.id, dtype: model.defaultDtype, localModelPath: modelsDir() });
  return { engine, embedder };
}
