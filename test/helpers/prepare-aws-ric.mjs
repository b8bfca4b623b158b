// Run by `npm test` before the test files: prepares AWS's runtime client (test/lambda-ric.test.mjs)
// while nothing else runs, so that a cold build (about a minute on both cores) never competes with
// the timing of the deadline tests. Never fails: a client that cannot be had is skipped by the test.
import { prepareAwsRic } from './aws-ric.mjs';

const ric = await prepareAwsRic({ log: (line) => process.stderr.write(`aws-lambda-ric: ${line}\n`) });
process.stderr.write(ric.skip ? `aws-lambda-ric: not prepared (${ric.skip}); its test will be skipped\n`
  : `aws-lambda-ric: ready (${ric.built ? `built in ${ric.ms} ms` : 'cached'})\n`);
