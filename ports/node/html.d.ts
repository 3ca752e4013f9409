// An .html file imported as its text: esbuild's text loader in build.mjs, test/ts-hooks.mjs
// when the tests run the sources.
declare module '*.html' {
  const text: string;
  export default text;
}
