'use strict';
// Starts the telegram-test-api Bot API emulator for the Python end-to-end tests
// (tests/support/emulator.py). Usage:
//
//   node tests/emulator/server.js [port]        (or EMULATOR_PORT=...; 0 = any free port)
//
// Listens on 127.0.0.1 only and prints exactly one line `READY <port>` to stdout once it
// accepts connections. It exits on SIGTERM/SIGINT and when its stdin closes, so a test run
// that dies (even by SIGKILL) cannot leave an orphan node process behind: the parent holds
// the write end of our stdin pipe, and the OS closes it when the parent goes away.
// Set EMULATOR_IGNORE_STDIN=1 to run it by hand with stdin redirected from /dev/null.

const TelegramServer = require('telegram-test-api');

const HOST = '127.0.0.1';
const STORE_TIMEOUT_S = 3600; // keep unread messages for the whole test run (default: 60 s)

function parsePort(raw) {
  const port = Number(raw === undefined || raw === '' ? 0 : raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`server.js: invalid port ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return port;
}

async function main() {
  const port = parsePort(process.argv[2] !== undefined ? process.argv[2] : process.env.EMULATOR_PORT);
  const server = new TelegramServer({ host: HOST, port: port || 9000, storeTimeout: STORE_TIMEOUT_S });
  // normalizeConfig() turns port 0 into 9000 (`port || 9000`); start() only reads
  // config.port for listen(), so put the 0 back to let the OS pick a free port.
  server.config.port = port;

  let stopping = false;
  const shutdown = (why) => {
    if (stopping) return;
    stopping = true;
    // http-shutdown waits for in-flight requests; never wait longer than 2 s.
    setTimeout(() => process.exit(0), 2000).unref();
    server.stop()
      .catch((err) => process.stderr.write(`server.js: stop failed (${why}): ${err}\n`))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (process.env.EMULATOR_IGNORE_STDIN !== '1') {
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.on('error', () => shutdown('stdin error'));
    process.stdin.resume();
  }

  await server.start();
  const actualPort = server.server.address().port;
  server.config.port = actualPort;
  server.config.apiURL = `http://${HOST}:${actualPort}`;
  process.stdout.write(`READY ${actualPort}\n`);
}

main().catch((err) => {
  process.stderr.write(`server.js: failed to start: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
