// A Piscina task that does nothing: the floor of a piscina round trip.
export default function echo(task) {
  return { kind: 'ok', body: '{"ok":true}', threadId: 0, memoryBytes: 0, slot: task.slot };
}
