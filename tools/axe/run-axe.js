// Usage: node run-axe.js <file.html|file.xhtml> [...]  ->  JSON on stdout: [{file, scheme, violations}], light and dark colour schemes
// Loads each file in headless Chromium (Debian's, not a downloaded one), injects axe-core and
// runs the WCAG 2.x A/AA and best-practice rules. Exit code 0 even with violations: the caller
// (tests/test_html.py) decides what fails.
const path = require("path");
const { chromium } = require("playwright-core");
const axeSource = require("fs").readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
  "--disable-dev-shm-usage"];

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const results = [];
  try {
    for (const file of process.argv.slice(2)) for (const scheme of ["light", "dark"]) {
      const page = await browser.newPage({ colorScheme: scheme });
      await page.goto("file://" + path.resolve(file));
      // An XHTML file that is not well-formed XML renders as Chromium's <parsererror> page.
      const rendered = await page.evaluate(() => ({
        parseError: document.getElementsByTagName("parsererror").length > 0,
        contentType: document.contentType,
        headings: document.querySelectorAll("h1, h2, h3, h4, h5, h6").length,
        textLength: (document.body ? document.body.innerText : "").length }));
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() => axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                          "best-practice"] } }));
      results.push({ file, scheme, ...rendered, axe: result.testEngine.version, violations: result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ")) })) });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results, null, 1));
})().catch(error => { console.error(error.stack || String(error)); process.exit(2); });
