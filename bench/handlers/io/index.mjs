// Benchmark handler: awaits 20 ms (a stand-in for a call to a database or another service).
import { setTimeout as sleep } from 'node:timers/promises';

export const handler = async (event) => {
  await sleep(Number(event?.ms) || 20);
  return { ok: true };
};
