import { runPackageCli } from '@rho/core/base';

runPackageCli({
  name: 'eval',
  description: 'math evaluation harness: score, equal, compare, disagreements, exec, cot|tora|pal',
  commandsUrl: new URL('./commands/', import.meta.url).href,
});
