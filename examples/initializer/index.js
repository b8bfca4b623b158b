// Warm state and an initializer. The initializer runs once in each worker thread before it takes
// any invocation (not billed to the first request); module-level variables then live as long as
// the thread, across invocations. package.json here names the initializer ("fnpool" →
// "initializer") for fnpool start; on FunctionGraph, set it in the console as the initializer.
let config;
let connectedAt;
let invocations = 0;

export const init = async (context) => {
  // Stands in for opening a database pool or loading a model: slow once, fast afterwards.
  await new Promise((resolve) => setTimeout(resolve, 200));
  config = { greeting: context.getUserData('GREETING') ?? 'Hello' };
  connectedAt = new Date().toISOString();
  context.getLogger().info('initialized');
};

export const handler = async (event, context) => {
  invocations += 1;
  return {
    message: `${config.greeting}, ${event?.name ?? 'world'}!`,
    initializedAt: connectedAt,
    invocationsOnThisThread: invocations,
    requestId: context.getRequestID(),
  };
};
