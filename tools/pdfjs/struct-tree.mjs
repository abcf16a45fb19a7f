// Print a PDF's structure tree as pdf.js sees it (what Firefox exposes to screen readers):
// `node struct-tree.mjs file.pdf` -> JSON [{page, tree}], where each node is
// {role, alt?, lang?, children: [...]} and marked content leaves carry their text.
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const path = process.argv[2];
const pdf = await getDocument({ url: path, useSystemFonts: false, verbosity: 0 }).promise;
const pages = [];
for (let number = 1; number <= pdf.numPages; number++) {
  const page = await pdf.getPage(number);
  const tree = await page.getStructTree();
  // Text of each marked-content id, so the tree's leaves can be shown with their words.
  const content = await page.getTextContent({ includeMarkedContent: true });
  const texts = {};
  const open = [];
  for (const item of content.items) {
    if (item.type === "beginMarkedContentProps" || item.type === "beginMarkedContent") {
      open.push(item.id ?? null);
    } else if (item.type === "endMarkedContent") {
      open.pop();
    } else if (item.str !== undefined) {
      const id = [...open].reverse().find((value) => value !== null);
      if (id) texts[id] = (texts[id] ?? "") + item.str + (item.hasEOL ? " " : "");
    }
  }
  const withText = (node) => {
    if (node.type === "content") return { type: "content", id: node.id, text: texts[node.id] ?? "" };
    if (node.type === "annotation" || node.type === "object") return { type: node.type };
    return { ...node, children: (node.children ?? []).map(withText) };
  };
  pages.push({ page: number, tree: tree ? withText(tree) : null });
}
process.stdout.write(JSON.stringify(pages));
