export * from './select.ts';
export * from './tf.ts';
