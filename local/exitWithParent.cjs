'use strict';
// Preloaded (`node --require`) into every part that `npm start` runs. Parts run in their own process groups
// so that each can be stopped whole; without this, a supervisor killed with SIGKILL would leave them holding
// their ports. The supervisor's IPC channel closes when it dies: the part then stops its own group.
if (process.channel) {
  process.channel.unref(); // the channel alone must not keep a part alive
  process.on('disconnect', () => {
    try {
      process.kill(-process.pid, 'SIGTERM');
    } catch {
      process.exit(1);
    }
    setTimeout(() => process.exit(1), 3000).unref();
  });
}
