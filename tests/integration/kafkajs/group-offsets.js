// group-offsets.js - a consumer group's committed offsets as kafkajs (an
// independent Kafka client) sees them, for tests that compare them with the
// offsets swi-etl stored in PostgreSQL.
//
//   node group-offsets.js get BROKERS GROUP TOPIC...
//       prints "topic:partition=offset" per partition, sorted (-1: none committed)
//   node group-offsets.js set BROKERS GROUP OFFSET TOPIC...
//       commits OFFSET for every partition of the topics, as a member of the
//       group (no other member may be running)
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [cmd, brokers, groupId, ...rest] = process.argv.slice(2);
  if (!cmd || !brokers || !groupId || rest.length === 0) {
    console.error('usage: group-offsets.js get BROKERS GROUP TOPIC... | set BROKERS GROUP OFFSET TOPIC...');
    process.exit(2);
  }
  const kafka = new Kafka({
    clientId: 'swi-kafkajs-probe',
    brokers: brokers.split(','),
    // set's member fetches (and cannot decode lz4 batches): keep it quiet
    logLevel: cmd === 'set' ? logLevel.NOTHING : logLevel.ERROR,
    retry: { retries: 8 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (cmd === 'get') {
      const lines = [];
      const res = await admin.fetchOffsets({ groupId, topics: rest });
      for (const t of res)
        for (const p of t.partitions) lines.push(`${t.topic}:${p.partition}=${p.offset}`);
      lines.sort();
      console.log(lines.join('\n'));
    } else if (cmd === 'set') {
      // As a member of the group (the mock broker has no DescribeGroups,
      // which admin.setOffsets needs): join, commit, leave.
      const [offset, ...topics] = rest;
      const meta = await admin.fetchTopicMetadata({ topics });
      const want = meta.topics.reduce((n, t) => n + t.partitions.length, 0);
      const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topics });
      let joined;
      const assignment = new Promise((resolve) => (joined = resolve));
      consumer.on(consumer.events.GROUP_JOIN, (e) => joined(e.payload.memberAssignment));
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async () => consumer.pause(topics.map((topic) => ({ topic }))),
      });
      // commitOffsets is ignored until the runner runs: after run() resolved
      const mine = [];
      for (const [topic, parts] of Object.entries(await assignment))
        for (const partition of parts) mine.push({ topic, partition, offset: String(offset) });
      if (mine.length !== want) throw new Error(`assigned ${mine.length} of ${want} partitions`);
      await consumer.commitOffsets(mine);
      await consumer.disconnect();
    } else {
      console.error(`unknown command ${cmd}`);
      process.exit(2);
    }
  } finally {
    await admin.disconnect();
  }
}

main().catch((e) => {
  console.error(`group-offsets: ${e.message}`);
  process.exit(1);
});
