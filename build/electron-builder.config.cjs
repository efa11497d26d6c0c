// electron-builder configuration for the Airlock desktop app. Run on a CONNECTED build machine
// (electron-builder downloads Electron and the NSIS/AppImage tools); carry the installers into the
// air-gapped room (docs/offline-install.md). Build first: `node build/electron-build.mjs`.
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.airlock.desktop',
  productName: 'Airlock',
  copyright: 'Airlock contributors',
  // Pinned: the newest Electron that installs with Node 20 (its binary ships Node 24 inside).
  electronVersion: '41.7.1',
  directories: { output: 'out/installers', buildResources: 'build/resources' },
  // The compiled shell (out/app: main ESM, preload CJS, engine host), the built renderer and the
  // engine (dist/runtime, from `tsc -b`; not bundled: it loads files beside its modules).
  files: [
    'out/app/**/*',
    'dist/runtime/**/*.js',
    'package.json',
    '!**/*.map',
    '!**/*.ts',
    '!**/test/**',
    '!**/*.test.*',
  ],
  extraMetadata: { main: 'out/app/main/main.js' },
  asar: true,
  // Native modules load from real files: onnxruntime-node's .node and its shared libraries,
  // better-sqlite3's binding, sharp's libvips.
  asarUnpack: [
    '**/node_modules/onnxruntime-node/**',
    '**/node_modules/better-sqlite3/**',
    '**/node_modules/sharp/**',
    '**/node_modules/@img/**',
    '**/*.node',
  ],
  // Rebuild native modules against Electron's ABI (not the build machine's Node).
  npmRebuild: true,
  buildDependenciesFromSource: false,
  nodeGypRebuild: false,
  // No auto-update and no update server: updates arrive as signed bundles, like models.
  publish: null,
  detectUpdateChannel: false,
  generateUpdatesFilesForAllChannels: false,
  // Electron fuses flipped on the packaged binary (same values as electron/main/policy.ts FUSES).
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    synopsis: 'Verify, install, benchmark and run signed AI models offline',
    executableName: 'airlock',
  },
  deb: { priority: 'optional' },
  win: { target: ['nsis'] },
  nsis: {
    oneClick: false,
    perMachine: true,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
  },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    hardenedRuntime: true,
  },
  dmg: { writeUpdateInfo: false },
};
