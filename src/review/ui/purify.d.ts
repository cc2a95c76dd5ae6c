/**
 * The server serves DOMPurify's ES module build at /review/assets/purify.js, beside the compiled
 * page modules, so the page imports it as `./purify.js`. This declaration gives that import
 * dompurify's own types; being a .d.ts it emits nothing, and the import stays as written.
 */
import DOMPurify from 'dompurify';

export default DOMPurify;
