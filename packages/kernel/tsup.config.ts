import { packageBuild } from '../../tsup.shared.js';

// keepNames: the kernel names functions in reports from the JavaScript call stack.
export default packageBuild({ bins: ['src/cli.ts'] });
