// Preloaded (-r) into a CLI child by the kill-point tests: SIGKILLs the process right after the
// Nth fs.renameSync (HL_KILL_AFTER_RENAME=N) or the Nth fs.rmSync (HL_KILL_AFTER_RM=N), i.e. at an
// exact instant between the steps of a checkpoint switch, as a power cut or kill -9 would.
const fs = require('fs');
for (const [name, env] of [['renameSync', 'HL_KILL_AFTER_RENAME'], ['rmSync', 'HL_KILL_AFTER_RM']]) {
  const target = Number(process.env[env] || 0);
  if (!target) continue;
  const original = fs[name];
  let count = 0;
  fs[name] = function (...args) {
    const result = original.apply(this, args);
    // ts-register's transpile cache renames files too (on a cold cache): only the run's own count.
    if (String(args[args.length > 1 && name === 'renameSync' ? 1 : 0]).includes('hessian-lab-ts-cache')) return result;
    if (++count === target) process.kill(process.pid, 'SIGKILL');
    return result;
  };
}
