// Uploads as a publishing script or a browser makes them: a PNG made here, uploaded as bytes and as a Blob, the
// same bytes again (nothing new), its variants as a srcset, alt text, refusals as FolioErrors, deletion.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { crc32, deflateSync } from "node:zlib";

import { deleteMedia, FolioError, listMedia, setMediaAlt, srcsetOf, uploadMedia } from "../src/index.js";
import { writerClient } from "./env.js";

const writer = writerClient();

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGB PNG of `width` × `height` with a gradient; `seed` makes each test's bytes its own. */
function png(width: number, height: number, seed: number): Uint8Array<ArrayBuffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = (x + seed) % 256;
      rows[row + 2 + x * 3] = y % 256;
      rows[row + 3 + x * 3] = (x * y + seed) % 256;
    }
  }
  return Uint8Array.from(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", header),
      chunk("IDAT", deflateSync(rows)),
      chunk("IEND", Buffer.alloc(0)),
    ]),
  );
}

const uploaded: string[] = [];
after(async () => {
  for (const id of uploaded) {
    await deleteMedia(writer, id, { force: true }).catch((error: unknown) => {
      if (!(error instanceof FolioError && error.status === 404)) throw error;
    });
  }
});

describe("media", () => {
  test("an upload answers its variants, and the same bytes answer the same file", async () => {
    const bytes = png(1000, 500, Date.now() % 251);
    const first = await uploadMedia(writer, bytes, { alt: "A gradient", filename: "gradient.png" });
    uploaded.push(first.media.id);
    assert.equal(first.created, true);
    assert.equal(first.media.content_type, "image/png");
    assert.equal(first.media.width, 1000);
    assert.equal(first.media.height, 500);
    assert.deepEqual(
      first.media.variants.map((v) => [v.width, v.height, v.content_type]),
      [
        [480, 240, "image/png"],
        [480, 240, "image/webp"],
        [960, 480, "image/png"],
        [960, 480, "image/webp"],
      ],
    );
    const base = first.media.url.replace(/original\.png$/, "");
    assert.equal(srcsetOf(first.media), `${base}480w.png 480w, ${base}960w.png 960w, ${first.media.url} 1000w`);
    assert.equal(srcsetOf(first.media, "image/webp"), `${base}480w.webp 480w, ${base}960w.webp 960w`);

    const served = await fetch(first.media.url);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("cache-control"), "public, max-age=31536000, immutable");

    const again = await uploadMedia(writer, new Blob([bytes], { type: "image/png" }));
    assert.equal(again.created, false);
    assert.equal(again.media.id, first.media.id);
    assert.equal(again.media.alt, "A gradient");

    const listing = await listMedia(writer, { perPage: 100 });
    assert.ok(listing.data.some((m) => m.id === first.media.id));
    const relabelled = await setMediaAlt(writer, first.media.id, "Still a gradient");
    assert.equal(relabelled.alt, "Still a gradient");
    const cleared = await setMediaAlt(writer, first.media.id, null);
    assert.equal(cleared.alt, null);
  });

  test("refusals are FolioErrors naming the reason", async () => {
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff]);
    await assert.rejects(uploadMedia(writer, exe, { contentType: "image/png", filename: "cat.png" }), (error: unknown) => {
      assert.ok(error instanceof FolioError);
      assert.equal(error.status, 415);
      assert.equal(error.problem?.type, "/problems/unsupported-media-type");
      return true;
    });
    const appended = new Uint8Array([...png(4, 4, 1), ...new TextEncoder().encode("PK\u0003\u0004 zip")]);
    await assert.rejects(uploadMedia(writer, appended), (error: unknown) => {
      assert.ok(error instanceof FolioError);
      assert.equal(error.status, 422);
      assert.equal(error.problem?.errors?.[0]?.code, "polyglot");
      return true;
    });
  });

  test("a deleted file is gone, and uploading it again stores it anew", async () => {
    const bytes = png(20, 20, (Date.now() + 7) % 251);
    const first = await uploadMedia(writer, bytes);
    await deleteMedia(writer, first.media.id);
    assert.equal((await fetch(first.media.url)).status, 404);
    const again = await uploadMedia(writer, bytes);
    uploaded.push(again.media.id);
    assert.equal(again.created, true);
    assert.notEqual(again.media.id, first.media.id);
    assert.equal(again.media.url, first.media.url);
    assert.equal((await fetch(again.media.url)).status, 200);
  });
});
