// Usage: node viewport.js <file.html> <width> [<width>...] [--screenshot=prefix] [--dark] [--at=css-selector]
// -> JSON on stdout: [{width, scheme, scrollWidth, clientWidth, wideElements: [...]}]
// Loads the page in headless Chromium (Debian's) at each width, as a phone shows it, and
// reports whether the page scrolls sideways (scrollWidth > clientWidth) and which elements
// stick out past the viewport. With --screenshot, saves <prefix>-<width>-<scheme>.png.
const path = require("path");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

(async () => {
  const args = process.argv.slice(2);
  const file = args[0];
  const widths = args.slice(1).filter(a => /^\d+$/.test(a)).map(Number);
  const shot = (args.find(a => a.startsWith("--screenshot=")) || "").split("=")[1];
  const at = (args.find(a => a.startsWith("--at=")) || "").split("=")[1];
  const schemes = args.includes("--dark") ? ["light", "dark"] : ["light"];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const results = [];
  try {
    for (const scheme of schemes) for (const width of widths) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
      await page.goto("file://" + path.resolve(file));
      const measured = await page.evaluate(() => {
        const root = document.documentElement;
        const wide = [];
        for (const el of document.body.querySelectorAll("*")) {
          const box = el.getBoundingClientRect();
          if (box.right > root.clientWidth + 1 && !el.closest(".table-region"))
            wide.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
        }
        return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
                 wideElements: wide.slice(0, 10) };
      });
      if (at) await page.evaluate(sel => { const el = document.querySelector(sel);
        if (el) window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 120); }, at);
      if (shot) await page.screenshot({ path: `${shot}-${width}-${scheme}.png`, fullPage: false });
      results.push({ width, scheme, ...measured });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results, null, 1));
})().catch(error => { console.error(error.stack || String(error)); process.exit(2); });
