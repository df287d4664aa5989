export * from './types.ts';
export { CHECK_ENGINES, chooseEngine, enginesToCheck, openCausalLm, ENGINE_CHOICES, PRECISION_CHOICES, type CheckEngine, type EngineDecision } from './open.ts';
export { GPU_CHOICES, LlamaCppLm, llamaCppUnavailable, LLAMA_CPP_INSTALL_HINT, openLlamaCppLm } from './llama-cpp/llama-cpp-lm.ts';
export { byLength, checkTfjsFits, openTfjsLm, TfjsLm } from './tfjs-lm.ts';
export { checkpointWeightBytes, parameterCount } from './weights.ts';
export { ENGINE_DTYPE, loadEngineApi, type EngineApi, type EngineHandle, type EngineWeight } from './native-api.ts';
export { nativeEngineUnavailable, NativeLm, openNativeLm, type EngineSession, type SessionOptions } from './native-lm.ts';
