import { runPackageCli } from './program.ts';

runPackageCli({
  name: 'core',
  description: 'Llama models on TensorFlow.js: check, init, tokenizer',
  commandsUrl: new URL('./commands/', import.meta.url).href,
});
