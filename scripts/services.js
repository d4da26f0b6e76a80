// Makes sure PostgreSQL and Redis answer on loopback; starts them when they are down (dev and CI).
const { execSync } = require('node:child_process');
const net = require('node:net');

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await reachable(port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function ensureServices() {
  if (!(await reachable(5432))) {
    console.log('PostgreSQL is down: starting it');
    execSync('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', { stdio: 'inherit', shell: '/bin/bash' });
    if (!(await waitFor(5432, 30000))) throw new Error('PostgreSQL did not start on 127.0.0.1:5432');
  }
  if (!(await reachable(6379))) {
    console.log('Redis is down: starting it');
    execSync('redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no', { stdio: 'inherit' });
    if (!(await waitFor(6379, 15000))) throw new Error('Redis did not start on 127.0.0.1:6379');
  }
}

module.exports = { ensureServices, reachable };
