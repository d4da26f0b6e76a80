import { createApp } from './app';
import { loadConfig } from './config/config';
import { isTransientError } from '@studioflow/runtime/store';

// Safety net: a promise nobody awaited that failed on a lost connection (PostgreSQL or Redis
// restarting) is logged, not fatal. Any other unhandled rejection is a bug: let the process end
// (npm start's supervisor restarts it).
process.on('unhandledRejection', (reason) => {
  if (!isTransientError(reason)) throw reason;
  console.warn(`unhandled rejection on a lost connection (ignored): ${String(reason)}`);
});

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, '0.0.0.0');
  console.log(`Studioflow API + editor on http://localhost:${config.port}/ (API docs at /api/docs)`);
  const k = config.devKeys;
  console.log(`dev API keys: staff=${k.staff} reviewer=${k.reviewer} end-user=${k.endUser} operator=${k.operator} (queues at /admin/queues, /metrics)`);
  console.log(`demo sign-in (password ${config.demoPassword}): seller@studioflow.test at /app, reviewer@studioflow.test at /review, staff@ and operator@studioflow.test`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
