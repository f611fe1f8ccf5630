// Copy the built files and licences of the front-end packages into the Django static tree.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const out = "../src/dancu/backoffice/static/vendor";
const files = {
  bootstrap: ["dist/css/bootstrap.min.css", "dist/js/bootstrap.bundle.min.js", "LICENSE"],
  "bootstrap-icons": ["font/bootstrap-icons.min.css", "font/fonts/bootstrap-icons.woff2", "LICENSE"],
  "htmx.org": ["dist/htmx.min.js", "LICENSE"],
};
rmSync(out, { recursive: true, force: true });
for (const [pkg, list] of Object.entries(files)) {
  for (const file of list) {
    const target = join(out, pkg, file.replace(/^dist\//, "").replace(/^font\//, ""));
    mkdirSync(join(target, ".."), { recursive: true });
    cpSync(join("node_modules", pkg, file), target);
  }
}
console.log(`vendored into ${out}`);
