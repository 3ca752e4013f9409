// The Moddable `mc/config` module for tests: the file module's root as the SDK's ESP32
// manifest sets it for SPIFFS (modules/files/file/manifest.json).
const config = { file: { root: '/mod/' } };
export default config;
