import { packageBuild } from '../../tsup.shared.js';

// The CLI reports no kernel call stacks, so it keeps the default esbuild names.
export default packageBuild({ bins: ['src/cli.ts', 'src/bisect-step.ts'], keepNames: false });
