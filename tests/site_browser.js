// Usage: node site_browser.js [--shots DIR] page.html [...]
// -> JSON on stdout: one result per page, colour scheme (light, dark) and width (1280, 320 px):
// axe-core's WCAG 2.x A/AA and best-practice violations, whether the page scrolls sideways,
// the chapter seeking (a chapter link followed from the keyboard moves the player there), and
// with --shots a full-page screenshot. Debian's Chromium, headless; modules from tools/axe
// (NODE_PATH=tools/axe/node_modules). The caller (tests/test_site.py) decides what fails.
const path = require("path");
const { chromium } = require("playwright-core");
const axeSource = require("fs").readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
  "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required", "--mute-audio"];
const WIDTHS = [1280, 320];

(async () => {
  const args = process.argv.slice(2);
  let shots = null;
  if (args[0] === "--shots") { shots = args[1]; args.splice(0, 2); }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const results = [];
  try {
    for (const file of args) for (const scheme of ["light", "dark"]) for (const width of WIDTHS) {
      const page = await browser.newPage({ colorScheme: scheme, viewport: { width, height: 900 } });
      await page.goto("file://" + path.resolve(file));
      const layout = await page.evaluate(() => ({
        lang: document.documentElement.lang,
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        h1: document.querySelectorAll("h1").length }));
      // Keyboard: the first Tab lands on the skip link, and following it moves focus to <main>.
      await page.keyboard.press("Tab");
      const firstFocus = await page.evaluate(() => document.activeElement.getAttribute("href"));
      await page.keyboard.press("Enter");
      const afterSkip = await page.evaluate(() => document.activeElement.id);
      if (shots) {
        const name = path.basename(path.dirname(file)) + "-" + path.basename(file, ".html");
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(shots, `${name}-${width}-${scheme}.png`),
                                fullPage: true });
      }
      let seek = null;
      const chapters = await page.locator("ol.chapters a").count();
      if (scheme === "light" && width === 1280 && chapters > 1) {
        await page.waitForFunction(() => document.querySelector("audio").readyState >= 1, null,
                                   { timeout: 30000 });
        const link = page.locator("ol.chapters a").nth(chapters - 1);   // the last: not at 0
        const target = parseFloat(await link.getAttribute("data-seek"));
        await link.focus();
        await page.keyboard.press("Enter");
        await page.waitForTimeout(300);
        seek = await page.evaluate((target) => { const player = document.querySelector("audio");
          const at = player.currentTime; player.pause();
          return { target, at, focus: document.activeElement.tagName, url: location.hash }; },
          target);
      }
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() => axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                          "best-practice"] } }));
      results.push({ file, scheme, width, ...layout, firstFocus, afterSkip, seek,
        axe: result.testEngine.version, passes: result.passes.length,
        violations: result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map(n => n.target.join(" ")) })) });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results, null, 1));
})().catch(error => { console.error(error.stack || String(error)); process.exit(2); });
