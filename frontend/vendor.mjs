// Copy the built files and licences of the front-end packages into the Django static tree.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const out = "../src/dancu/backoffice/static/vendor";
const files = {
  bootstrap: ["dist/css/bootstrap.min.css", "dist/js/bootstrap.bundle.min.js", "LICENSE"],
  "bootstrap-icons": ["font/bootstrap-icons.min.css", "font/fonts/bootstrap-icons.woff2", "LICENSE"],
  "htmx.org": ["dist/htmx.min.js", "LICENSE"],
  // The scoreboard's charts (line and bar charts: the "common" build is enough).
  echarts: ["dist/echarts.common.min.js", "LICENSE", "NOTICE", "licenses/LICENSE-d3"],
};
rmSync(out, { recursive: true, force: true });
for (const [pkg, list] of Object.entries(files)) {
  for (const file of list) {
    const target = join(out, pkg, file.replace(/^dist\//, "").replace(/^font\//, ""));
    mkdirSync(join(target, ".."), { recursive: true });
    cpSync(join("node_modules", pkg, file), target);
  }
}
// The OFL Noto Sans font (Vietnamese included) for the PDF results, shipped in the package.
const fonts = "../src/dancu/procedures/fonts";
rmSync(fonts, { recursive: true, force: true });
mkdirSync(fonts, { recursive: true });
const noto = "node_modules/@expo-google-fonts/noto-sans";
for (const file of ["400Regular/NotoSans_400Regular.ttf", "700Bold/NotoSans_700Bold.ttf"]) {
  cpSync(join(noto, file), join(fonts, file.split("/")[1]));
}
cpSync(join(noto, "LICENSE_FONT"), join(fonts, "OFL.txt"));
// axe-core, the accessibility engine the browser tests inject into every page (tests/a11y.py): a test tool, never
// served, so it lives beside the tests.
const axe = "../tests/vendor/axe-core";
rmSync(axe, { recursive: true, force: true });
mkdirSync(axe, { recursive: true });
for (const file of ["axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"]) {
  cpSync(join("node_modules/axe-core", file), join(axe, file));
}
console.log(`vendored into ${out}, ${fonts} and ${axe}`);
