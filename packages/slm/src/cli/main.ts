import { runPackageCli } from '@rho/core';

runPackageCli({
  name: 'slm',
  description: 'Selective Language Modeling: prepare, train, score, report, experiment',
  commandsUrl: new URL('./commands/', import.meta.url).href,
});
