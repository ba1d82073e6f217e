/**
 * `npm run bench`: every benchmark of the project, one after the other. Each module exports
 * `run()` resolving to the lines it prints; figures are ratios to a same-run reference where that
 * makes sense, because the machines are shared and noisy. Tests never assert wall-clock times.
 */
const fs = require('fs');
const path = require('path');

const SUITES = ['engine.js', 'convnet.js', 'scaling.js', 'train.js', 'approx.js', 'distributed.js', 'pytorch.js'];

(async () => {
  for (const file of SUITES) {
    const full = path.join(__dirname, file);
    if (!fs.existsSync(full)) continue;
    console.log(`== ${file}`);
    for (const line of await require(full).run()) console.log(line);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
