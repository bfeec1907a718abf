// Lambda@Edge viewer-request handler of the report site (CommonJS, Node.js
// 22, no dependencies besides the AWS SDK of the Lambda runtime). Every
// request needs a valid Cognito ID token in an HttpOnly cookie; without one
// the viewer is sent to the user pool's sign-in page (authorization code with
// PKCE), and /_auth/callback turns the code into that cookie.
// components/report-auth.ts fills SETTINGS; docs/security.md argues the design.

const crypto = require("node:crypto");

/** Filled in at deployment: where the configuration parameter is. */
const SETTINGS = /*SETTINGS*/ {};

const ID_COOKIE = "sg_report_id";
const LOGIN_COOKIE = "sg_report_login";
const CALLBACK = "/_auth/callback";
const LOGOUT = "/_auth/logout";
/** Seconds of clock skew accepted on iat. */
const SKEW = 300;
/** Seconds the signing keys are cached; an unknown kid refreshes them at most this often. */
const JWKS_TTL = 3600;
const JWKS_RETRY = 300;

let configPromise;
let jwks = { keys: new Map(), fetchedAt: -Infinity };

/** The pool, client and domain, read once per container from the SSM parameter. */
function loadConfig() {
	if (!configPromise)
		configPromise = (async () => {
			const { SSMClient, GetParameterCommand } = require("@aws-sdk/client-ssm");
			const client = new SSMClient({ region: SETTINGS.parameterRegion });
			const out = await client.send(
				new GetParameterCommand({ Name: SETTINGS.parameterName }),
			);
			return JSON.parse(out.Parameter.Value);
		})().catch((e) => {
			configPromise = undefined;
			throw e;
		});
	return configPromise;
}

const b64url = (buf) =>
	Buffer.from(buf)
		.toString("base64")
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
const fromB64url = (s) =>
	Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function signingKey(cfg, kid) {
	const stale = nowSeconds() - jwks.fetchedAt;
	if (stale > JWKS_TTL || (!jwks.keys.has(kid) && stale > JWKS_RETRY)) {
		const res = await fetch(`${cfg.issuer}/.well-known/jwks.json`);
		if (!res.ok) throw new Error(`JWKS: HTTP ${res.status}`);
		const body = await res.json();
		jwks = {
			keys: new Map(body.keys.map((k) => [k.kid, k])),
			fetchedAt: nowSeconds(),
		};
	}
	const jwk = jwks.keys.get(kid);
	return jwk ? crypto.createPublicKey({ key: jwk, format: "jwk" }) : undefined;
}

/**
 * The claims of a valid ID token of this pool and client whose user is in
 * the report group; undefined for anything else (unsigned, other key or
 * algorithm, expired, other issuer, audience or token use, no group).
 */
async function verifyIdToken(token, cfg) {
	const parts = String(token).split(".");
	if (parts.length !== 3) return undefined;
	let header;
	let claims;
	try {
		header = JSON.parse(fromB64url(parts[0]).toString("utf8"));
		claims = JSON.parse(fromB64url(parts[1]).toString("utf8"));
	} catch {
		return undefined;
	}
	if (header.alg !== "RS256" || typeof header.kid !== "string")
		return undefined;
	const key = await signingKey(cfg, header.kid);
	if (!key) return undefined;
	const signed = crypto.verify(
		"RSA-SHA256",
		Buffer.from(`${parts[0]}.${parts[1]}`),
		key,
		fromB64url(parts[2]),
	);
	if (!signed) return undefined;
	const now = nowSeconds();
	if (claims.iss !== cfg.issuer) return undefined;
	if (claims.aud !== cfg.clientId) return undefined;
	if (claims.token_use !== "id") return undefined;
	if (typeof claims.exp !== "number" || claims.exp <= now) return undefined;
	if (typeof claims.iat !== "number" || claims.iat > now + SKEW)
		return undefined;
	const groups = claims["cognito:groups"];
	if (cfg.group && !(Array.isArray(groups) && groups.includes(cfg.group)))
		return undefined;
	return claims;
}

function parseCookies(headers) {
	const out = {};
	for (const h of headers.cookie ?? [])
		for (const part of h.value.split(";")) {
			const i = part.indexOf("=");
			if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
		}
	return out;
}

const cookie = (name, value, path, maxAge) =>
	`${name}=${value}; Path=${path}; Max-Age=${maxAge}; Secure; HttpOnly; SameSite=Lax`;

function response(status, description, headers, body) {
	const h = {
		"cache-control": [{ key: "Cache-Control", value: "no-store" }],
	};
	for (const [k, v] of Object.entries(headers))
		h[k.toLowerCase()] = (Array.isArray(v) ? v : [v]).map((value) => ({
			key: k,
			value,
		}));
	const r = {
		status: String(status),
		statusDescription: description,
		headers: h,
	};
	if (body !== undefined) {
		h["content-type"] = [
			{ key: "Content-Type", value: "text/html; charset=utf-8" },
		];
		r.body = body;
	}
	return r;
}

const page = (title, text) =>
	`<!doctype html><meta charset="utf-8"><title>${title}</title><p>${text}</p><p><a href="/">SpanishGas churn report</a></p>`;

/** Only a path of this site: no scheme, no host, no "//" (an open redirect). */
function safeReturnPath(p) {
	return typeof p === "string" && /^\/(?![/\\])/.test(p) ? p : "/";
}

function redirectToSignIn(request, cfg, origin) {
	const state = b64url(crypto.randomBytes(16));
	const verifier = b64url(crypto.randomBytes(32));
	const challenge = b64url(
		crypto.createHash("sha256").update(verifier).digest(),
	);
	const back = safeReturnPath(
		request.uri + (request.querystring ? `?${request.querystring}` : ""),
	);
	const login = b64url(JSON.stringify({ s: state, v: verifier, r: back }));
	const q = new URLSearchParams({
		response_type: "code",
		client_id: cfg.clientId,
		redirect_uri: `${origin}${CALLBACK}`,
		scope: "openid email",
		state,
		code_challenge_method: "S256",
		code_challenge: challenge,
	});
	return response(302, "Found", {
		Location: `${cfg.authDomain}/oauth2/authorize?${q}`,
		"Set-Cookie": cookie(LOGIN_COOKIE, login, CALLBACK, 600),
	});
}

async function callback(request, cfg, origin, cookies) {
	const q = new URLSearchParams(request.querystring ?? "");
	let login;
	try {
		login = JSON.parse(
			fromB64url(cookies[LOGIN_COOKIE] ?? "").toString("utf8"),
		);
	} catch {
		login = undefined;
	}
	if (!login || !q.get("code") || q.get("state") !== login.s)
		return response(
			400,
			"Bad Request",
			{},
			page(
				"Sign-in expired",
				"This sign-in link has expired or was not started here.",
			),
		);
	const res = await fetch(`${cfg.authDomain}/oauth2/token`, {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams({
			grant_type: "authorization_code",
			client_id: cfg.clientId,
			code: q.get("code"),
			redirect_uri: `${origin}${CALLBACK}`,
			code_verifier: login.v,
		}).toString(),
	});
	const tokens = res.ok ? await res.json() : {};
	const claims = tokens.id_token
		? await verifyIdToken(tokens.id_token, cfg)
		: undefined;
	if (!claims)
		return response(
			403,
			"Forbidden",
			{ "Set-Cookie": cookie(LOGIN_COOKIE, "", CALLBACK, 0) },
			page(
				"No access",
				"Your account may not open this report. Ask the report's administrator to add you.",
			),
		);
	return response(302, "Found", {
		Location: safeReturnPath(login.r),
		"Set-Cookie": [
			cookie(ID_COOKIE, tokens.id_token, "/", claims.exp - nowSeconds()),
			cookie(LOGIN_COOKIE, "", CALLBACK, 0),
		],
	});
}

exports.handler = async (event) => {
	const request = event.Records[0].cf.request;
	const origin = `https://${request.headers.host[0].value}`;
	let cfg;
	try {
		cfg = await loadConfig();
	} catch (e) {
		console.error("report sign-in configuration unavailable", e);
		return response(
			503,
			"Service Unavailable",
			{},
			page("Unavailable", "Sign-in is unavailable; try again in a minute."),
		);
	}
	const cookies = parseCookies(request.headers);
	if (request.uri === CALLBACK) return callback(request, cfg, origin, cookies);
	if (request.uri === LOGOUT) {
		const q = new URLSearchParams({
			client_id: cfg.clientId,
			logout_uri: `${origin}/`,
		});
		return response(302, "Found", {
			Location: `${cfg.authDomain}/logout?${q}`,
			"Set-Cookie": cookie(ID_COOKIE, "", "/", 0),
		});
	}
	const claims = cookies[ID_COOKIE]
		? await verifyIdToken(cookies[ID_COOKIE], cfg)
		: undefined;
	if (!claims) return redirectToSignIn(request, cfg, origin);
	// The site's folders are pages: /churn/ and /churn serve /churn/index.html.
	const uri = request.uri;
	if (uri.endsWith("/")) request.uri = `${uri}index.html`;
	else if (!uri.split("/").pop().includes("."))
		request.uri = `${uri}/index.html`;
	// The origin needs no cookie (and the cache key has none).
	delete request.headers.cookie;
	return request;
};
