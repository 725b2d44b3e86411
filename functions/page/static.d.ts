/** The page's static files as esbuild's text loader gives them (see files.ts). */
declare module 'page-static/*' {
  const text: string;
  export default text;
}
