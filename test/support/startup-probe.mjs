// Preloaded into the compiled bot by the start-up test and the memory benchmark (`node --import
// <this file> dist/index.js`), so that the bot itself carries no code for being measured. On SIGUSR2 it
// writes to $STARTUP_PROBE_OUT the process's memory and every file it has loaded with require().
import { renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import process from 'node:process';

const out = process.env.STARTUP_PROBE_OUT;
if (out) {
  process.on('SIGUSR2', () => {
    const files = Object.keys(Module._cache);
    // Written beside, then renamed: whoever waits for the file never reads half of it.
    writeFileSync(`${out}.part`, JSON.stringify({ memory: process.memoryUsage(), files }));
    renameSync(`${out}.part`, out);
  });
}
