/**
 * The report's sign-in at the edge: the Lambda@Edge viewer-request code
 * (components/report-auth/viewer-request.js) and the configuration it reads.
 * docs/security.md, "Report site identity".
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where the edge function finds its configuration (Lambda@Edge has no environment variables). */
export interface EdgeAuthSettings {
	/** SSM parameter holding {@link EdgeAuthConfig} as JSON. */
	parameterName: string;
	/** Region of the parameter (the edge function's home region, us-east-1). */
	parameterRegion: string;
}

/** What the edge function checks tokens against (the SSM parameter's value). */
export interface EdgeAuthConfig {
	/** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`: the tokens' `iss`. */
	issuer: string;
	/** The app client: the tokens' `aud`. */
	clientId: string;
	/** The user pool's sign-in domain, `https://<prefix>.auth.<region>.amazoncognito.com`. */
	authDomain: string;
	/** The Cognito group a user must be in to open the report. */
	group: string;
}

const SOURCE = fileURLToPath(
	new URL("./report-auth/viewer-request.js", import.meta.url),
);
const PLACEHOLDER = "/*SETTINGS*/ {}";

/** The edge function's `index.js`, with its settings filled in. */
export function edgeAuthCode(settings: EdgeAuthSettings): string {
	if (!/^\/[A-Za-z0-9_./-]+$/.test(settings.parameterName))
		throw new Error(
			`edgeAuthCode: parameterName must be an SSM path, got ${JSON.stringify(settings.parameterName)}`,
		);
	const source = readFileSync(SOURCE, "utf8");
	if (!source.includes(PLACEHOLDER))
		throw new Error(`edgeAuthCode: ${SOURCE} has no settings placeholder`);
	return source.replace(PLACEHOLDER, JSON.stringify(settings));
}

/** The callback path the user pool client must allow (`https://<site>/_auth/callback`). */
export const AUTH_CALLBACK_PATH = "/_auth/callback";
/** The sign-out path. */
export const AUTH_LOGOUT_PATH = "/_auth/logout";
/** Default Cognito group of the report's readers. */
export const REPORT_READERS_GROUP = "report-readers";
