// The TypeScript types of a Report, generated from the schema the Python side validates against
// (nbsec/model/schema/report.v1.json), so the two cannot drift: `jlpm gen:types` writes
// src/report-types.ts and a jest test (report-types.spec.ts) fails when the committed file differs.
const fs = require('fs');
const path = require('path');
const { compile } = require('json-schema-to-typescript');

const SCHEMA = path.join(__dirname, '..', '..', 'nbsec', 'model', 'schema', 'report.v1.json');
const OUTPUT = path.join(__dirname, '..', 'src', 'report-types.ts');
const BANNER =
  '/* Generated from nbsec/model/schema/report.v1.json by `jlpm gen:types`; do not edit by hand. */';

async function generate() {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf-8'));
  return compile(schema, 'Report', {
    bannerComment: BANNER,
    additionalProperties: false,
    unreachableDefinitions: true,
    format: true,
    style: { singleQuote: true, printWidth: 100 }
  });
}

// `node scripts/report-types.js` writes the file; `--check [FILE]` exits 1 when
// the committed file (or FILE) differs.
if (require.main === module) {
  generate().then(text => {
    const check = process.argv.indexOf('--check');
    if (check >= 0) {
      const file = process.argv[check + 1] || OUTPUT;
      const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf-8') : '';
      if (committed !== text) {
        console.error('src/report-types.ts differs from what report.v1.json generates: run `jlpm gen:types`');
        process.exit(1);
      }
      return;
    }
    fs.writeFileSync(OUTPUT, text);
    console.log(`wrote ${path.relative(process.cwd(), OUTPUT)}`);
  });
}
