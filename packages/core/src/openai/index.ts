export * from './base-url.ts';
export * from './client.ts';
