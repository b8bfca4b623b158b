// What the platform chaos run does to the runtime API, scenario by scenario, and how long. Each
// scenario drives the emulator through its context: it marks the windows in which the API is
// unavailable (down, or answering 5xx), and the point at which its SIGTERM variant stops the
// runtime; it returns what it tried, in words, and what it missed if it could not cut what it
// means to cut (a held poll, an answer being handled).
import { setTimeout as sleep } from 'node:timers/promises';

/** Durations and load of the full run (the issue's: 10 s outages and bursts) and of --quick. */
export const TIMINGS = {
  full: {
    rate: 300, leadMs: 1000, tailMs: 3000, shutdownTimeoutMs: 6000,
    restartDownMs: 500, postCutDelayMs: 400, betweenRestartsMs: 1000,
    downMs: 10_000, delayMs: 2500, delayedForMs: 6000, burstMs: 10_000,
  },
  quick: {
    rate: 100, leadMs: 400, tailMs: 1200, shutdownTimeoutMs: 4000,
    restartDownMs: 300, postCutDelayMs: 300, betweenRestartsMs: 600,
    downMs: 2000, delayMs: 1000, delayedForMs: 2500, burstMs: 2000,
  },
};

/** Where in a long disturbance its SIGTERM variant stops the runtime: late enough that it is well under way. */
const SIGTERM_AT = 0.6;
/** Statuses of the 5xx burst: 503 on polls (Lambda's 500 on /next means "exit", not a fault), 500 on posts. */
const POLL_STATUS = 503;
const POST_STATUS = 500;
/** A count of faults that outlasts any burst: the burst ends by setting it back to 0. */
const UNTIL_CLEARED = 1_000_000_000;

/** Waits ms, with the runtime stopped at `fraction` of the way when the context asks for it. */
async function sleepWithSigterm(ctx, ms, fraction = SIGTERM_AT) {
  await sleep(ms * fraction);
  ctx.sigterm();
  await sleep(ms * (1 - fraction));
}

/** How long a scenario waits for what it means to cut (a held poll, a held answer) on a busy machine. */
const CUT_WAIT_MS = 2000;

/** Waits up to CUT_WAIT_MS for count() to be above 0, and returns it. */
async function awaitSome(count) {
  const end = Date.now() + CUT_WAIT_MS;
  while (count() === 0 && Date.now() < end) await sleep(10);
  return count();
}

export const SCENARIOS = [
  {
    key: 'a',
    kind: 'API restarted mid-poll',
    async disturb(ctx) {
      const { emulator, t, load } = ctx;
      // A runtime keeps polls held only while it has room: the load waits until some are.
      load.pause();
      await awaitSome(() => emulator.stats().polls);
      ctx.outageBegins();
      const cut = await emulator.stop();
      load.resume();
      ctx.sigterm();
      await sleep(t.restartDownMs);
      await emulator.resume();
      ctx.outageEnds();
      return {
        tried: `restart with ${cut.polls} long polls held and ${cut.inFlight} invocations in flight, down ${t.restartDownMs} ms`,
        missed: cut.polls === 0 ? 'no long poll was held when the API went down' : undefined,
      };
    },
  },
  {
    key: 'b',
    kind: 'API restarted mid-post',
    async disturb(ctx) {
      const { emulator, t } = ctx;
      emulator.injectFaults({ postDelayMs: t.postCutDelayMs });
      await sleep(t.postCutDelayMs);
      ctx.sigterm();
      const cuts = [];
      for (const postsInFlight of ['drop', 'record']) {
        if (cuts.length > 0) await sleep(t.betweenRestartsMs);
        await awaitSome(() => emulator.postsHeld);
        ctx.outageBegins();
        cuts.push(await emulator.restart({ downMs: t.restartDownMs, postsInFlight }));
        ctx.outageEnds();
      }
      emulator.injectFaults({ postDelayMs: 0 });
      return {
        tried: `posts delayed ${t.postCutDelayMs} ms; restart dropping ${cuts[0].postsDropped} answers mid-handling, ` +
          `then restart recording ${cuts[1].postsRecorded} with their response lost (down ${t.restartDownMs} ms each)`,
        missed: cuts[0].postsDropped === 0 || cuts[1].postsRecorded === 0 ? 'a restart found no answer being handled' : undefined,
      };
    },
  },
  {
    key: 'c',
    kind: 'API down, then back',
    async disturb(ctx) {
      const { emulator, t } = ctx;
      ctx.outageBegins();
      await emulator.stop();
      await sleepWithSigterm(ctx, t.downMs);
      await emulator.resume();
      ctx.outageEnds();
      return { tried: `API down ${t.downMs / 1000} s (connections refused)` };
    },
  },
  {
    key: 'd',
    kind: 'answers delayed by seconds',
    async disturb(ctx) {
      const { emulator, t } = ctx;
      emulator.injectFaults({ pollDelayMs: t.delayMs, postDelayMs: t.delayMs });
      await sleepWithSigterm(ctx, t.delayedForMs, 0.4);
      emulator.injectFaults({ pollDelayMs: 0, postDelayMs: 0 });
      return { tried: `every hand-out and every answer delayed ${t.delayMs / 1000} s, for ${t.delayedForMs / 1000} s` };
    },
  },
  {
    key: 'e',
    kind: 'burst of 5xx',
    async disturb(ctx) {
      const { emulator, t } = ctx;
      ctx.outageBegins();
      emulator.injectFaults({ pollStatus: { status: POLL_STATUS, count: UNTIL_CLEARED }, postStatus: { status: POST_STATUS, count: UNTIL_CLEARED } });
      await sleepWithSigterm(ctx, t.burstMs);
      emulator.injectFaults({ pollStatus: { status: POLL_STATUS, count: 0 }, postStatus: { status: POST_STATUS, count: 0 } });
      ctx.outageEnds();
      return { tried: `every poll ${POLL_STATUS}, every post ${POST_STATUS}, for ${t.burstMs / 1000} s` };
    },
  },
];
