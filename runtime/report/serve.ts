/**
 * A plain static file server for the built site, on loopback only
 * (`npm run report:serve`, the browser test). No directory listing; paths
 * cannot leave the site folder.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize, resolve, sep } from "node:path";
import { contentTypeOf } from "./publish.ts";

export interface SiteServer {
	url: string;
	port: number;
	close(): Promise<void>;
}

async function fileFor(
	root: string,
	urlPath: string,
): Promise<string | undefined> {
	let rel: string;
	try {
		rel = decodeURIComponent(urlPath.split("?")[0]);
	} catch {
		return undefined;
	}
	const path = resolve(root, `.${normalize(`/${rel}`)}`);
	if (path !== root && !path.startsWith(root + sep)) return undefined;
	for (const candidate of [path, join(path, "index.html"), `${path}.html`]) {
		const s = await stat(candidate).catch(() => undefined);
		if (s?.isFile()) return candidate;
	}
	return undefined;
}

export async function serveSite(
	siteDir: string,
	opts: { port?: number; host?: string } = {},
): Promise<SiteServer> {
	const root = resolve(siteDir);
	const host = opts.host ?? "127.0.0.1";
	const server: Server = createServer(async (req, res) => {
		if (req.method !== "GET" && req.method !== "HEAD") {
			res.writeHead(405).end();
			return;
		}
		const file = await fileFor(
			root,
			new URL(req.url ?? "/", "http://x").pathname,
		);
		if (!file) {
			const notFound = await fileFor(root, "/404.html");
			res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
			if (notFound && req.method === "GET")
				createReadStream(notFound).pipe(res);
			else res.end("not found");
			return;
		}
		res.writeHead(200, {
			"content-type": contentTypeOf(file),
			"cache-control": "no-cache",
		});
		if (req.method === "HEAD") res.end();
		else createReadStream(file).pipe(res);
	});
	await new Promise<void>((ok, fail) => {
		server.once("error", fail);
		server.listen(opts.port ?? 0, host, () => ok());
	});
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://${host}:${port}/`,
		port,
		close: () =>
			new Promise<void>((ok) => {
				server.closeAllConnections();
				server.close(() => ok());
			}),
	};
}
