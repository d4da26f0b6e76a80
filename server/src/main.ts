import { createApp } from './app';
import { loadConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, '0.0.0.0');
  console.log(`Studioflow API + editor on http://localhost:${config.port}/ (API docs at /api/docs)`);
  console.log(`dev API keys: staff=${config.devKeys.staff} end-user=${config.devKeys.endUser}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
