// Writes the updater manifest (latest.json) that tauri-plugin-updater reads:
//   node release-manifest.mjs OUT VERSION NOTES [PLATFORM URL SIGFILE]...
// The signature is the content of the .sig file written by `tauri signer sign`.
import { readFileSync, writeFileSync } from "node:fs";

const [out, version, notes, ...rest] = process.argv.slice(2);
if (!out || !version || rest.length === 0 || rest.length % 3 !== 0) {
  console.error("usage: release-manifest.mjs OUT VERSION NOTES [PLATFORM URL SIGFILE]...");
  process.exit(2);
}
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error(`version ${version} is not semver`);
  process.exit(1);
}
const platforms = {};
for (let i = 0; i < rest.length; i += 3) {
  const [platform, url, sigFile] = rest.slice(i, i + 3);
  new URL(url); // throws on a malformed URL
  platforms[platform] = { signature: readFileSync(sigFile, "utf8").trim(), url };
}
const manifest = {
  version,
  notes,
  // RFC 3339 without milliseconds, as the updater expects.
  pub_date: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  platforms,
};
writeFileSync(out, JSON.stringify(manifest, null, 2) + "\n");
