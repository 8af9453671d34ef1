// The package's version is the project's: the one the committed OpenAPI document states (info.version).
const fs = require('fs');
const path = require('path');
const pkg = require('./package.json');
const doc = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/openapi.json'), 'utf8'));
if (pkg.version !== doc.info.version) {
  console.error(`package.json version ${pkg.version} differs from docs/openapi.json info.version ${doc.info.version}`);
  process.exit(1);
}
