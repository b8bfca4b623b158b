// Benchmark handler: does nothing, so that what is measured is the runtime's own cost.
export const handler = async () => ({ ok: true });
