/**
 * The report's Lambda@Edge sign-in check, run as CloudFront runs it: the
 * exact index.js the stack deploys (edgeAuthCode), loaded in a fresh VM
 * context with Node's crypto, against CloudFront viewer-request events.
 * Cognito is played by a key pair made here: its JWKS and its token
 * endpoint are served through `fetch`; the SSM parameter through a stand-in
 * of the one SDK call the function makes (no local SSM peer exists).
 * Tokens are written by hand: valid, expired, unsigned, signed by another
 * key, for another client or issuer, an access token, without the group.
 */
import * as nodeCrypto from "node:crypto";
import { runInNewContext } from "node:vm";
import { beforeEach, describe, expect, it } from "vitest";
import {
	type EdgeAuthConfig,
	edgeAuthCode,
} from "../components/report-auth.ts";

const SETTINGS = {
	parameterName: "/spanishgas/test/report-auth",
	parameterRegion: "us-east-1",
};
const CONFIG: EdgeAuthConfig = {
	issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test",
	clientId: "client-123",
	authDomain: "https://spanishgas-report-test.auth.eu-west-1.amazoncognito.com",
	group: "report-readers",
};
const HOST = "d1234abcd.cloudfront.net";

const pool = nodeCrypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const intruder = nodeCrypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const KID = "kid-1";
const jwk = {
	...pool.publicKey.export({ format: "jwk" }),
	kid: KID,
	alg: "RS256",
	use: "sig",
};

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function jwt(
	claims: Record<string, unknown>,
	opts: { key?: nodeCrypto.KeyObject; alg?: string; kid?: string } = {},
): string {
	const header = b64url(
		JSON.stringify({ alg: opts.alg ?? "RS256", kid: opts.kid ?? KID }),
	);
	const body = b64url(JSON.stringify(claims));
	if (opts.alg === "none") return `${header}.${body}.`;
	const sig = nodeCrypto.sign(
		"RSA-SHA256",
		Buffer.from(`${header}.${body}`),
		opts.key ?? pool.privateKey,
	);
	return `${header}.${body}.${b64url(sig)}`;
}

const idClaims = (over: Record<string, unknown> = {}) => ({
	sub: "0b7f-user",
	email: "ana@spanishgas.example",
	iss: CONFIG.issuer,
	aud: CONFIG.clientId,
	token_use: "id",
	iat: now() - 10,
	exp: now() + 3600,
	"cognito:groups": ["report-readers"],
	...over,
});

type Headers = Record<string, Array<{ key?: string; value: string }>>;
type CfRequest = {
	uri: string;
	querystring: string;
	method: string;
	headers: Headers;
};
type CfResponse = { status: string; headers: Headers; body?: string };

interface Harness {
	handler: (event: unknown) => Promise<CfRequest | CfResponse>;
	fetches: Array<{ url: string; body?: string }>;
	ssmCalls: Array<{ region: string; name: string }>;
	/** What the token endpoint answers next. */
	tokenResponse: { status: number; body: Record<string, unknown> };
}

/** A fresh container: the deployed code with its module state, crypto, fetch and the SDK stand-in. */
function container(): Harness {
	const h = {
		fetches: [],
		ssmCalls: [],
		tokenResponse: { status: 200, body: { id_token: jwt(idClaims()) } },
	} as unknown as Harness;
	class GetParameterCommand {
		constructor(readonly input: { Name: string }) {}
	}
	class SSMClient {
		constructor(readonly config: { region: string }) {}
		async send(cmd: GetParameterCommand) {
			h.ssmCalls.push({ region: this.config.region, name: cmd.input.Name });
			if (cmd.input.Name !== SETTINGS.parameterName)
				throw Object.assign(new Error("ParameterNotFound"), {
					name: "ParameterNotFound",
				});
			return { Parameter: { Value: JSON.stringify(CONFIG) } };
		}
	}
	const json = (status: number, body: unknown) =>
		({ ok: status < 400, status, json: async () => body }) as Response;
	const fetch = async (url: string, init?: { body?: string }) => {
		h.fetches.push({ url, body: init?.body });
		if (url === `${CONFIG.issuer}/.well-known/jwks.json`)
			return json(200, { keys: [jwk] });
		if (url === `${CONFIG.authDomain}/oauth2/token`)
			return json(h.tokenResponse.status, h.tokenResponse.body);
		return json(404, {});
	};
	const module = { exports: {} as Record<string, unknown> };
	runInNewContext(edgeAuthCode(SETTINGS), {
		require: (m: string) => {
			if (m === "node:crypto") return nodeCrypto;
			if (m === "@aws-sdk/client-ssm")
				return { SSMClient, GetParameterCommand };
			throw new Error(`no module ${m} at the edge`);
		},
		module,
		exports: module.exports,
		fetch,
		URLSearchParams,
		Buffer,
		console: { error: () => {} },
	});
	h.handler = module.exports.handler as Harness["handler"];
	return h;
}

const event = (
	uri: string,
	opts: { cookie?: string; querystring?: string } = {},
) => ({
	Records: [
		{
			cf: {
				config: { eventType: "viewer-request" },
				request: {
					uri,
					querystring: opts.querystring ?? "",
					method: "GET",
					headers: {
						host: [{ key: "Host", value: HOST }],
						...(opts.cookie
							? { cookie: [{ key: "Cookie", value: opts.cookie }] }
							: {}),
					} as Headers,
				},
			},
		},
	],
});

const header = (r: CfResponse, name: string) =>
	(r.headers[name] ?? []).map((h) => h.value);
const isResponse = (r: CfRequest | CfResponse): r is CfResponse =>
	"status" in r;

/** A request with this ID cookie must be sent to sign in, never through. */
async function expectSignIn(h: Harness, cookie: string | undefined) {
	const r = await h.handler(event("/churn/", { cookie }));
	expect(isResponse(r), "request passed through").toBe(true);
	const res = r as CfResponse;
	expect(res.status).toBe("302");
	expect(header(res, "location")[0]).toMatch(
		new RegExp(
			`^${CONFIG.authDomain.replace(/[.]/g, "\\.")}/oauth2/authorize\\?`,
		),
	);
	return res;
}

describe("report sign-in at the edge (Lambda@Edge viewer request)", () => {
	let h: Harness;
	beforeEach(() => {
		h = container();
	});

	it("sends a request without a sign-in to the user pool's sign-in page (code flow with PKCE), remembering where it was going", async () => {
		const res = await expectSignIn(h, undefined);
		const url = new URL(header(res, "location")[0]);
		expect(Object.fromEntries(url.searchParams)).toMatchObject({
			response_type: "code",
			client_id: CONFIG.clientId,
			redirect_uri: `https://${HOST}/_auth/callback`,
			scope: "openid email",
			code_challenge_method: "S256",
		});
		expect(url.searchParams.get("state")).toMatch(/^[\w-]{16,}$/);
		const [login] = header(res, "set-cookie");
		expect(login).toMatch(
			/^sg_report_login=[\w-]+; Path=\/_auth\/callback; Max-Age=600; Secure; HttpOnly; SameSite=Lax$/,
		);
		expect(header(res, "cache-control")).toEqual(["no-store"]);
		expect(h.ssmCalls).toEqual([
			{ region: "us-east-1", name: SETTINGS.parameterName },
		]);
	});

	it("passes a request with a valid ID token of a reader, mapping folders to index.html and dropping the cookie", async () => {
		const cookie = `other=1; sg_report_id=${jwt(idClaims())}`;
		for (const [uri, want] of [
			["/", "/index.html"],
			["/churn/", "/churn/index.html"],
			["/churn", "/churn/index.html"],
			["/_app/x.js", "/_app/x.js"],
		]) {
			const r = await h.handler(event(uri, { cookie }));
			expect(isResponse(r), uri).toBe(false);
			expect((r as CfRequest).uri).toBe(want);
			expect((r as CfRequest).headers.cookie).toBeUndefined();
		}
		// The signing keys are fetched once per container, the configuration too.
		expect(h.fetches.filter((f) => f.url.endsWith("jwks.json"))).toHaveLength(
			1,
		);
		expect(h.ssmCalls).toHaveLength(1);
	});

	it("rejects expired, unsigned, forged, foreign and access tokens, and users outside the readers group", async () => {
		const bad: Record<string, string> = {
			expired: jwt(idClaims({ exp: now() - 1 })),
			"issued in the future": jwt(idClaims({ iat: now() + 3600 })),
			"unsigned (alg none)": jwt(idClaims(), { alg: "none" }),
			"HS256 (a symmetric algorithm)": jwt(idClaims(), { alg: "HS256" }),
			"signed by another key": jwt(idClaims(), { key: intruder.privateKey }),
			"an unknown key id": jwt(idClaims(), { kid: "kid-unknown" }),
			"another client": jwt(idClaims({ aud: "client-other" })),
			"another user pool": jwt(
				idClaims({
					iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other",
				}),
			),
			"an access token": jwt(idClaims({ token_use: "access" })),
			"not a reader": jwt(idClaims({ "cognito:groups": ["admins"] })),
			"no groups": jwt(idClaims({ "cognito:groups": undefined })),
			garbage: "not.a.token",
		};
		// A payload changed after signing.
		const [hd, , sig] = jwt(idClaims()).split(".");
		bad.tampered = `${hd}.${b64url(JSON.stringify(idClaims({ email: "eve@example.com", "cognito:groups": ["report-readers", "x"] })))}.${sig}`;
		for (const [what, token] of Object.entries(bad)) {
			const r = await h.handler(
				event("/churn/", { cookie: `sg_report_id=${token}` }),
			);
			expect(isResponse(r), what).toBe(true);
			expect((r as CfResponse).status, what).toBe("302");
		}
	});

	it("the callback exchanges the code with the verifier, checks the token and sets an HttpOnly session cookie for the token's lifetime", async () => {
		const start = await expectSignIn(h, undefined);
		const state =
			new URL(header(start, "location")[0]).searchParams.get("state") ?? "";
		const challenge = new URL(header(start, "location")[0]).searchParams.get(
			"code_challenge",
		);
		const login = header(start, "set-cookie")[0].split(";")[0];
		const r = (await h.handler(
			event("/_auth/callback", {
				cookie: login,
				querystring: `code=abc&state=${state}`,
			}),
		)) as CfResponse;
		expect(r.status).toBe("302");
		expect(header(r, "location")).toEqual(["/churn/"]);
		const token = h.fetches.find((f) => f.url.endsWith("/oauth2/token"));
		const form = new URLSearchParams(token?.body);
		expect(Object.fromEntries(form)).toMatchObject({
			grant_type: "authorization_code",
			client_id: CONFIG.clientId,
			code: "abc",
			redirect_uri: `https://${HOST}/_auth/callback`,
		});
		// PKCE: the verifier sent now hashes to the challenge sent at the start.
		expect(
			nodeCrypto
				.createHash("sha256")
				.update(form.get("code_verifier") ?? "")
				.digest("base64url"),
		).toBe(challenge);
		const [session, clear] = header(r, "set-cookie");
		expect(session).toMatch(
			/^sg_report_id=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=(359\d|3600); Secure; HttpOnly; SameSite=Lax$/,
		);
		expect(clear).toMatch(
			/^sg_report_login=; Path=\/_auth\/callback; Max-Age=0;/,
		);
		// The cookie it set opens the site.
		const next = await h.handler(
			event("/churn/", { cookie: session.split(";")[0] }),
		);
		expect(isResponse(next)).toBe(false);
	});

	it("the callback refuses a forged state, a missing login cookie and a token of a non-reader, setting no session", async () => {
		const start = await expectSignIn(h, undefined);
		const state =
			new URL(header(start, "location")[0]).searchParams.get("state") ?? "";
		const login = header(start, "set-cookie")[0].split(";")[0];
		const forged = (await h.handler(
			event("/_auth/callback", {
				cookie: login,
				querystring: "code=abc&state=forged",
			}),
		)) as CfResponse;
		expect(forged.status).toBe("400");
		const noCookie = (await h.handler(
			event("/_auth/callback", { querystring: `code=abc&state=${state}` }),
		)) as CfResponse;
		expect(noCookie.status).toBe("400");
		h.tokenResponse = {
			status: 200,
			body: { id_token: jwt(idClaims({ "cognito:groups": [] })) },
		};
		const outsider = (await h.handler(
			event("/_auth/callback", {
				cookie: login,
				querystring: `code=abc&state=${state}`,
			}),
		)) as CfResponse;
		expect(outsider.status).toBe("403");
		h.tokenResponse = { status: 400, body: { error: "invalid_grant" } };
		const refused = (await h.handler(
			event("/_auth/callback", {
				cookie: login,
				querystring: `code=abc&state=${state}`,
			}),
		)) as CfResponse;
		expect(refused.status).toBe("403");
		for (const r of [forged, noCookie, outsider, refused])
			expect(header(r, "set-cookie").join(";")).not.toMatch(
				/sg_report_id=[^;]/,
			);
	});

	it("never redirects off the site after sign-in, and signs out through the user pool", async () => {
		const r = await h.handler(event("//evil.example/x"));
		const state = new URL(
			header(r as CfResponse, "location")[0],
		).searchParams.get("state");
		const login = header(r as CfResponse, "set-cookie")[0].split(";")[0];
		const back = (await h.handler(
			event("/_auth/callback", {
				cookie: login,
				querystring: `code=abc&state=${state}`,
			}),
		)) as CfResponse;
		expect(header(back, "location")).toEqual(["/"]);
		const out = (await h.handler(event("/_auth/logout"))) as CfResponse;
		expect(out.status).toBe("302");
		expect(header(out, "location")[0]).toBe(
			`${CONFIG.authDomain}/logout?client_id=${CONFIG.clientId}&logout_uri=${encodeURIComponent(`https://${HOST}/`)}`,
		);
		expect(header(out, "set-cookie")[0]).toMatch(
			/^sg_report_id=; Path=\/; Max-Age=0;/,
		);
	});

	it("answers 503 (not an open door) when its configuration cannot be read", async () => {
		const broken = edgeAuthCode({
			...SETTINGS,
			parameterName: "/spanishgas/missing",
		});
		const module = { exports: {} as Record<string, unknown> };
		runInNewContext(broken, {
			require: (m: string) =>
				m === "node:crypto"
					? nodeCrypto
					: {
							SSMClient: class {
								async send() {
									throw new Error("ParameterNotFound");
								}
							},
							GetParameterCommand: class {},
						},
			module,
			exports: module.exports,
			URLSearchParams,
			Buffer,
			console: { error: () => {} },
		});
		const r = (await (module.exports.handler as Harness["handler"])(
			event("/"),
		)) as CfResponse;
		expect(r.status).toBe("503");
	});
});
