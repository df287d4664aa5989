export * from './base.ts';
export * from './config/index.ts';
export * from './safetensors/index.ts';
export * from './model/index.ts';
export * from './checkpoint/index.ts';
export * from './generate/index.ts';
export * from './tokenizer/index.ts';
export * from './train/index.ts';
