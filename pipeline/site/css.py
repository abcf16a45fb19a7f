"""The site's one stylesheet (outputs/site/site.css).

The same rules as the report's web page (pipeline/stages/html.py): rem and em only, so the
reader's font size and zoom scale everything; one column that reflows down to 320 px (long
words, file names and braille rows wrap rather than scroll sideways); a light and a dark palette
chosen by prefers-color-scheme, every pair at least 7:1 for text; a visible focus ring.
"""

SITE_CSS = (
    """
:root { color-scheme: light dark; --text: #1b1b1b; --background: #ffffff; --panel: #f3f3f3;
  --link: #0b4f9c; --visited: #5b2a86; --muted: #4a4a4a; --rule: #767676; --focus: #c24e00;
  --good: #1d5e20; --bad: #9d1c1c; }
@media (prefers-color-scheme: dark) {
  :root { --text: #f0f0f0; --background: #121212; --panel: #1f1f1f; --link: #8cc4ff;
    --visited: #d3b4ff; --muted: #c8c8c8; --rule: #9a9a9a; --focus: #ffb35c;
    --good: #8fdc8f; --bad: #ffaaa5; }
}
html { font-size: 100%; }
body { margin: 0 auto; padding: 1rem; max-width: 60rem; font-family: system-ui, sans-serif;
  line-height: 1.5; color: var(--text); background: var(--background); text-align: start;
  overflow-wrap: break-word; }
h1, h2, h3 { line-height: 1.25; margin: 2rem 0 0.75rem; }
h1 { font-size: 2rem; margin-top: 1rem; }
p, li, dd, figcaption { max-width: 70ch; }
a { color: var(--link); text-decoration-thickness: 0.0625rem; text-underline-offset: 0.15em; }
a:visited { color: var(--visited); }
:focus-visible { outline: 0.1875rem solid var(--focus); outline-offset: 0.125rem; }
main:focus { outline: none; }
.skip-link { position: absolute; left: 1rem; top: -10rem; padding: 0.5rem 1rem;
  background: var(--background); color: var(--link); border: 0.125rem solid var(--focus); }
.skip-link:focus { top: 1rem; }
header { border-bottom: 0.0625rem solid var(--rule); }
.breadcrumb { list-style: none; margin: 0; padding: 0.5rem 0; display: flex; flex-wrap: wrap;
  gap: 0.25rem 0.5rem; }
.breadcrumb li + li::before { content: "\\203A"; margin-inline-end: 0.5rem; color: var(--muted); }
.subtitle { font-size: 1.25rem; margin: 0 0 0.5rem; }
.published, .status { color: var(--muted); }
.status strong { color: var(--text); }
.reports { list-style: none; padding: 0; margin: 0; }
.report { display: flex; flex-wrap: wrap; gap: 1rem; padding: 1rem 0;
  border-bottom: 0.0625rem solid var(--rule); }
.report h2 { margin: 0 0 0.5rem; font-size: 1.5rem; }
.report-text { flex: 1 1 16rem; min-width: 0; }
.cover { width: 7.5rem; height: auto; border: 0.0625rem solid var(--rule); align-self: flex-start; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr);
  gap: 0.25rem 1rem; margin: 0.75rem 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; min-width: 0; }
section.format { border-top: 0.0625rem solid var(--rule); margin-top: 2rem; }
.downloads { padding-inline-start: 1.25rem; }
.downloads li { margin: 0.375rem 0; }
details { margin: 0.75rem 0; }
summary { cursor: pointer; color: var(--link); }
.ask { background: var(--panel); padding: 0.25rem 1rem 1rem; margin-top: 2rem;
  border-inline-start: 0.25rem solid var(--focus); }
table { border-collapse: collapse; margin: 1rem 0; max-width: 100%; }
caption { text-align: start; font-weight: bold; margin-bottom: 0.5rem; overflow-wrap: anywhere; }
th, td { border: 0.0625rem solid var(--rule); padding: 0.375rem 0.625rem; text-align: start;
  vertical-align: top; overflow-wrap: break-word; }
.good { color: var(--good); }
.bad { color: var(--bad); font-weight: bold; }
.findings li { margin: 0.75rem 0; }
.findings p { margin: 0.125rem 0; }
.pages { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.page { margin: 0; flex: 1 1 14rem; max-width: 22rem; min-width: 0; }
figure.page img { width: 100%; height: auto; border: 0.0625rem solid var(--rule);
  background: #ffffff; }
table.braille { width: 100%; table-layout: fixed; }
table.braille thead th:first-child { width: 3.5rem; }
table.braille thead th:nth-child(2) { width: 55%; }
table.braille td { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.3; }
table.braille td.back { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
/* A font whose braille cells, blank ones included, are all one width, so the page's layout
   (centred headings, the page number at the right) shows as the embosser makes it. */
table.braille td.cells { font-family: "DejaVu Sans", "Segoe UI Symbol", "Apple Braille",
  sans-serif; font-size: 1.125rem; }
/* On a phone a braille row cannot keep its 40 cells on one line: both columns share the width,
   the cells wrap, and the print side wraps by words (its centring spaces dropped). */
@media (max-width: 40rem) {
  table.braille thead th:first-child { width: 2.75rem; }
  table.braille thead th:nth-child(2) { width: auto; }
  table.braille td.back { white-space: normal; overflow-wrap: break-word; }
}
audio { width: 100%; max-width: 40rem; margin: 0.5rem 0; }
.chapters .time { color: var(--muted); }
.toc, .toc ol { padding-inline-start: 1.25rem; }
.files { padding-inline-start: 1.25rem; }
.files a { overflow-wrap: anywhere; }
footer { border-top: 0.0625rem solid var(--rule); margin-top: 3rem; }
@media print {
  :root { --text: #000000; --background: #ffffff; --link: #000000; --visited: #000000;
    --muted: #000000; }
  .skip-link, header nav { display: none; }
}
""".strip()
    + "\n"
)
