import { createFolioClient, type FolioClient } from "../src/index.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (see run-tests.sh)`);
  return value;
}

/** The API under test: `FOLIO_URL` (e.g. http://127.0.0.1:18180), a freshly seeded demo blog. */
export const FOLIO_URL = required("FOLIO_URL");

/** An anonymous client, as a public frontend has. */
export function publicClient(): FolioClient {
  return createFolioClient(FOLIO_URL);
}

/** A client with `FOLIO_TOKEN` (scope `content:write`), as a CI publisher has. */
export function writerClient(): FolioClient {
  return createFolioClient(FOLIO_URL, required("FOLIO_TOKEN"));
}

/** A client with `FOLIO_ADMIN_TOKEN` (scope `admin`), as an operator managing webhooks has. */
export function adminClient(options: Parameters<typeof createFolioClient>[2] = {}): FolioClient {
  return createFolioClient(FOLIO_URL, required("FOLIO_ADMIN_TOKEN"), options);
}

/** Narrows an openapi-fetch result to its data, failing the test with the problem document otherwise. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(
      `${result.response.status} from ${result.response.url}: ${JSON.stringify(result.error)}`,
    );
  }
  return result.data;
}
