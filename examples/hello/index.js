// The example function: greets the caller, and shows a few of the context's values.
export const handler = async (event, context) => {
  const name = typeof event?.name === 'string' ? event.name : 'world';
  context.getLogger().info(`greeting ${name}`);
  return {
    message: `Hello, ${name}!`,
    requestId: context.getRequestID(),
    remainingMs: context.getRemainingTimeInMilliSeconds(),
  };
};
