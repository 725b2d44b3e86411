'use strict';
// Serverless plugin for `npm start`. serverless-offline bundles every function with esbuild before it serves
// (about half of its start). When the supervisor restarts the functions after a crash (STACK_REUSE_BUILD=1), the
// code has not changed, so the bundles the last start wrote are served again instead of rebuilt: each function
// is marked skipEsbuild, which serverless-esbuild honours, while its output folder still becomes offline's
// location. A function whose bundle is missing is built as usual. The watcher still rebuilds on edits.
const fs = require('node:fs');
const path = require('node:path');

const BUNDLE_EXTENSIONS = ['.cjs', '.js', '.mjs'];

class ReuseBuild {
  constructor(serverless, _options, { log }) {
    if (process.env.STACK_REUSE_BUILD !== '1') return;
    this.hooks = {
      // After serverless-esbuild's own initialize (plugins run in the order serverless.yml lists them).
      initialize: () => {
        const esbuild = serverless.pluginManager.plugins.find((p) => typeof p.bundle === 'function' && p.buildDirPath);
        if (!esbuild) return;
        const reused = [];
        for (const [name, fn] of Object.entries(serverless.service.functions ?? {})) {
          const file = typeof fn.handler === 'string' ? fn.handler.replace(/\.[^./]+$/, '') : null;
          const built =
            file && BUNDLE_EXTENSIONS.some((ext) => fs.existsSync(path.join(esbuild.buildDirPath, file + ext)));
          if (!built) continue;
          fn.skipEsbuild = true;
          reused.push(name);
        }
        if (reused.length > 0) log.notice(`Reusing the last start's bundles for ${reused.join(', ')}`);
      },
    };
  }
}

module.exports = ReuseBuild;
