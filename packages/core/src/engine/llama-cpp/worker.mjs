// The llama.cpp engine's thread: node-llama-cpp's API is asynchronous and the project's model
// interface (CausalLm) is synchronous, so node-llama-cpp runs here, on its own event loop, while
// the caller blocks on a shared flag (see sync-worker.ts). Plain JavaScript because a worker
// thread is started outside the TypeScript loader that vitest or tsx give the main thread.
import { workerData } from 'node:worker_threads';

const { port, signal: sab, moduleName } = workerData;
const signal = new Int32Array(sab);

/** Post, then raise the flag: the caller reads every message posted before the flag it saw. */
function send(msg, transfer) {
  port.postMessage(msg, transfer ?? []);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

let lib = null;
let llama = null;
let model = null;
let context = null;
let sequences = [];
let vocab = 0;

const ops = {
  async init({ gpu, threads }, id) {
    try {
      lib = await import(moduleName);
    } catch (e) {
      const err = new Error(`cannot load ${moduleName}: ${e?.message ?? e}`);
      err.code = 'MISSING_DEPENDENCY';
      throw err;
    }
    const logs = [];
    llama = await lib.getLlama({
      build: 'never',
      gpu: gpu === 'none' ? false : gpu,
      logLevel: 'error',
      logger: (level, message) => logs.push(`${level}: ${message}`),
      vramPadding: 0,
    });
    const version = await readVersion();
    return {
      version,
      gpu: llama.gpu,
      gpuNames: llama.gpu ? await llama.getGpuDeviceNames().catch(() => []) : [],
      systemInfo: llama.systemInfo,
      threads: threads > 0 ? threads : llama.cpuMathCores,
      architectures: Object.values(lib.GgufArchitectureType ?? {}),
      logs,
    };
  },
  async load({ path, gpuLayers }, id) {
    model = await llama.loadModel({
      modelPath: path,
      gpuLayers: llama.gpu ? gpuLayers : 0,
      onLoadProgress: (p) => send({ id, event: 'progress', value: p }),
    });
    vocab = model.fileInsights?.modelHeaders?.vocab ?? 0;
    return { gpuLayers: model.gpuLayers, size: model.size, trainContextSize: model.trainContextSize };
  },
  /** A context of `n` sequences of `size` tokens each, replacing the previous one. */
  async context({ n, size, kvType, threads }) {
    if (context) await context.dispose();
    context = await model.createContext({
      contextSize: size,
      sequences: n,
      threads: threads > 0 ? threads : undefined,
      experimentalKvCacheKeyType: kvType,
      experimentalKvCacheValueType: kvType,
      flashAttention: false,
      batchSize: Math.min(512, size * n),
    });
    sequences = Array.from({ length: n }, () => context.getSequence());
    return { size: context.contextSize };
  },
  async clear({ rows }) {
    await Promise.all(rows.map((r) => sequences[r].clearHistory()));
    return null;
  },
  /**
   * Feeds each item's tokens to its sequence (the items run as one batch in llama.cpp) and returns,
   * per item, the logits after the tokens listed in `want`: the full vocabulary ([want.length, vocab]),
   * or with `argmaxOnly` just the top token, for greedy decoding without moving the vocabulary across.
   */
  async feed({ items, vocabSize, argmaxOnly }) {
    const results = await Promise.all(
      items.map(async ({ row, tokens, want }) => {
        const wanted = new Set(want);
        const generateNext = argmaxOnly ? { token: true } : { logits: true };
        const input = tokens.map((t, i) => (wanted.has(i) ? [t, { generateNext }] : t));
        const out = await sequences[row].controlledEvaluate(input);
        if (argmaxOnly) return Int32Array.from(want.map((i) => out[i]?.next?.token ?? -1));
        const logits = new Float32Array(want.length * vocabSize);
        want.forEach((i, k) => {
          const map = out[i]?.next?.logits;
          if (!map) throw new Error(`llama.cpp returned no logits for token ${i}`);
          const base = k * vocabSize;
          for (const [tok, v] of map) logits[base + tok] = v;
        });
        return logits;
      }),
    );
    return { value: results, transfer: results.map((r) => r.buffer) };
  },
  async tokenize({ text, special }) {
    return model.tokenize(text, special);
  },
  async dispose() {
    if (context) await context.dispose();
    if (model) await model.dispose();
    if (llama) await llama.dispose();
    context = model = llama = null;
    return null;
  },
};

async function readVersion() {
  try {
    const { readFileSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const entry = fileURLToPath(import.meta.resolve(moduleName));
    let dir = dirname(entry);
    for (let i = 0; i < 5; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (pkg.name === moduleName) return pkg.version;
      } catch {}
    }
  } catch {}
  return 'unknown';
}

port.on('message', async ({ id, op, args }) => {
  try {
    const r = await ops[op](args, id);
    if (r && typeof r === 'object' && 'transfer' in r && 'value' in r) send({ id, result: r.value }, r.transfer);
    else send({ id, result: r });
  } catch (e) {
    send({ id, error: { message: String(e?.message ?? e), code: e?.code ?? null } });
  }
});
process.on('uncaughtException', (e) => send({ id: -1, error: { message: `llama.cpp worker: ${e?.message ?? e}`, code: null } }));
process.on('unhandledRejection', (e) => send({ id: -1, error: { message: `llama.cpp worker: ${e?.message ?? e}`, code: null } }));
