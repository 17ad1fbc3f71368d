// Validates the OpenAPI document a Gatehouse serves (argv[2] is its URL)
// with @apidevtools/swagger-parser: against the OpenAPI 3.1 schema, with
// every $ref resolved (for OpenAPI 3 it checks no more than that: the Go
// test httpapi.TestOpenAPIDescribesEveryRouteAndNoOther checks the path
// parameters and operation ids). Prints one JSON line.
import SwaggerParser from "@apidevtools/swagger-parser";

const url = process.argv[2];
try {
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`GET ${url}: ${resp.status}`);
  const api = await SwaggerParser.validate(await resp.json());
  const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  const operations = Object.entries(api.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => methods.includes(k))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
  console.log(JSON.stringify({ valid: true, openapi: api.openapi, title: api.info.title, operations }));
} catch (e) {
  console.log(JSON.stringify({ valid: false, error: String(e && e.message ? e.message : e) }));
}
