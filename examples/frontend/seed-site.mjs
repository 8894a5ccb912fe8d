// Gives the demo blog what the frontend shows around its posts: the site's settings (title, description, public
// URL, menus) and a published About page, the one the menus link.
//
//   FOLIO_URL=http://127.0.0.1:18180 SITE_URL=http://127.0.0.1:18181 FOLIO_TOKEN=folio_... \
//     FOLIO_ADMIN_TOKEN=folio_... node seed-site.mjs
//
// SITE_URL is where the frontend is served: the site's public URL, from which the feeds build their links (they
// answer 409 until it is set). FOLIO_TOKEN (scope content:write) writes the page, FOLIO_ADMIN_TOKEN (scope admin)
// the settings. Running it again changes nothing. run-tests.sh runs it once the API is up.

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (see run-tests.sh)`);
  return value.replace(/\/+$/, "");
}
const API = env("FOLIO_URL");

/** The About page, as a Markdown document with YAML front matter. */
const ABOUT = `---
title: About Folio Notes
status: published
summary: Who writes here, and how this blog is made.
---
Folio Notes is a demo blog about engines, compilers and the systems around them.

## Who writes here

**Ada Lovelace** writes about engines and the programs that drive them; **Grace Hopper** about compilers,
debugging and the occasional moth.

## Colophon

| Part | What it is |
|---|---|
| Content | Posts, tags, authors, this page and the site's settings, in the Folio API |
| Frontend | \`index.html\`, \`style.css\` and \`app.js\`, with no build step |

The menus above and below are the site's settings; this page is a page, not a post, so it is never among them.
`;

/** The site's settings; the menus hold the public site's addresses, which the frontend routes. */
function settings(siteUrl) {
  return {
    title: "Folio Notes",
    description: "Engines, compilers and the systems around them",
    url: siteUrl,
    navigation: [
      { label: "Home", url: "/" },
      { label: "About", url: "/about/" },
    ],
    secondary_navigation: [
      { label: "About this blog", url: "/about/" },
      { label: "Posts on Rust", url: "/tag/rust/" },
    ],
  };
}

async function send(method, path, token, contentType, body) {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType },
    body,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const page = await send("PUT", "/api/v1/pages/about", env("FOLIO_TOKEN"), "text/markdown; charset=utf-8", ABOUT);
const site = await send("PATCH", "/api/v1/site", env("FOLIO_ADMIN_TOKEN"), "application/merge-patch+json",
  JSON.stringify(settings(env("SITE_URL"))));
console.log(`seed-site: the page ${page.slug} (${page.status}); the site "${site.title}" at ${site.url}`);
