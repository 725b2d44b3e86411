import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configureModelHub } from '../../../../shared/adapters/transformers/hub.js';
import { loadEncoderModel, modelLoadMessage } from '../../../../shared/adapters/transformers/transformersModel.js';
import { FIXTURE_MODELS } from '../../../helpers.js';

const OFFLINE_HINT =
  'MODELS_DIR=test/fixtures/models EMBEDDING_MODEL=tiny-embed RERANKER_MODEL=tiny-ce ALLOW_REMOTE_MODELS=false';

describe('loadEncoderModel failures', () => {
  afterAll(() => configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false }));

  it('names the model, the folder it looked in and the offline way when a model exists nowhere', async () => {
    configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
    const error = (await loadEncoderModel('no-such-model', 'feature-extraction', 'int8').catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('"no-such-model"');
    expect(error.message).toContain(path.join(FIXTURE_MODELS, 'no-such-model'));
    expect(error.message).not.toContain('huggingface.co');
    expect(error.message).toContain(OFFLINE_HINT);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).toContain((error.cause as Error).message.replace(/\.+$/, ''));
  });

  it('still loads a model that exists locally', async () => {
    configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
    const model = await loadEncoderModel('tiny-embed', 'feature-extraction', 'fp32');
    expect(model.hiddenSize).toBeGreaterThan(0);
  });
});

describe('modelLoadMessage', () => {
  it('names the local folder, then the hub, and the reason', () => {
    const message = modelLoadMessage({
      id: 'Xenova/all-MiniLM-L6-v2',
      dir: '/models',
      allowRemote: true,
      reason: 'fetch failed',
    });
    expect(message).toContain('could not load model "Xenova/all-MiniLM-L6-v2"');
    expect(message).toContain(
      `local folder ${path.join('/models', 'Xenova/all-MiniLM-L6-v2')}, then https://huggingface.co/Xenova/all-MiniLM-L6-v2`,
    );
    expect(message).toContain(': fetch failed.');
    expect(message).toContain('MODELS_DIR=<folder with models in Hugging Face layout> with ALLOW_REMOTE_MODELS=false');
    expect(message).toContain(OFFLINE_HINT);
    expect(message).toContain('random weights');
  });

  it('names only the hub when there is no models folder', () => {
    const message = modelLoadMessage({ id: 'org/model', dir: undefined, allowRemote: true, reason: 'fetch failed' });
    expect(message).toContain('(looked in: https://huggingface.co/org/model)');
    expect(message).not.toContain('local folder');
  });

  it('says when it could look nowhere', () => {
    const message = modelLoadMessage({ id: 'org/model', dir: undefined, allowRemote: false, reason: 'not found' });
    expect(message).toContain('nowhere (no MODELS_DIR and ALLOW_REMOTE_MODELS=false)');
  });

  it('does not double the final period of the reason', () => {
    const message = modelLoadMessage({
      id: 'm',
      dir: '/d',
      allowRemote: false,
      reason: 'file was not found locally at "/d/m/tokenizer.json".',
    });
    expect(message).toContain('tokenizer.json". To run offline');
  });
});
