export * from './llama-config.ts';
export * from './presets.ts';
