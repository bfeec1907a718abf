/**
 * A small IAM policy evaluator for the infrastructure tests: enough of
 * AWS's evaluation logic to ask "may this role do that?" of the policies the
 * stack declares — explicit Deny wins; an action needs an Allow in the
 * identity policies and, when a permissions boundary is set, in the boundary
 * too. Action and Resource (and NotAction) wildcards; the condition operators
 * the stack uses: StringEquals, StringNotEquals, StringLike, ArnEquals,
 * ArnLike, Bool, and ForAllValues:StringLike; a negated operator is true when the
 * key is absent (as IAM evaluates it). Any other operator throws, so a new
 * condition cannot pass unexamined.
 */
import type {
	PolicyDocument,
	PolicyStatement,
} from "../../components/access.ts";

export type RequestContext = Record<string, string | string[] | undefined>;

export interface Request {
	action: string;
	resource: string;
	context?: RequestContext;
}

const asArray = <X>(x: X | X[] | undefined): X[] =>
	x === undefined ? [] : Array.isArray(x) ? x : [x];

/** IAM wildcard match (`*`, `?`), case-insensitive for actions. */
export function wildcard(pattern: string, value: string, ci = false): boolean {
	const re = new RegExp(
		`^${pattern
			.replace(/[.+^${}()|[\]\\]/g, "\\$&")
			.replace(/\*/g, ".*")
			.replace(/\?/g, ".")}$`,
		ci ? "i" : "",
	);
	return re.test(value);
}

function conditionHolds(
	condition: PolicyStatement["Condition"],
	context: RequestContext,
): boolean {
	for (const [op, keys] of Object.entries(condition ?? {}))
		for (const [key, raw] of Object.entries(keys)) {
			const wanted = asArray(raw as string | string[]).map(String);
			const given = asArray(context[key]);
			const absent = given.length === 0;
			const any = (match: (w: string, g: string) => boolean) =>
				given.some((g) => wanted.some((w) => match(w, g)));
			const eq = (w: string, g: string) => w === g;
			const like = (w: string, g: string) => wildcard(w, g);
			switch (op) {
				case "StringEquals":
				case "ArnEquals":
				case "Bool":
					if (absent || !any(eq)) return false;
					break;
				case "StringLike":
				case "ArnLike":
					if (absent || !any(like)) return false;
					break;
				case "StringNotEquals":
					if (!absent && any(eq)) return false;
					break;
				case "ForAllValues:StringLike":
					if (!given.every((g) => wanted.some((w) => like(w, g)))) return false;
					break;
				default:
					throw new Error(`infra-iam: unsupported condition operator ${op}`);
			}
		}
	return true;
}

function matches(
	s: PolicyStatement & { NotAction?: string | string[] },
	r: Request,
): boolean {
	const actionOk = s.NotAction
		? !asArray(s.NotAction).some((a) => wildcard(a, r.action, true))
		: asArray(s.Action).some((a) => wildcard(a, r.action, true));
	if (!actionOk) return false;
	if (!asArray(s.Resource).some((p) => wildcard(p, r.resource))) return false;
	return conditionHolds(s.Condition, r.context ?? {});
}

const allows = (docs: PolicyDocument[], r: Request) =>
	docs.some((d) =>
		d.Statement.some((s) => s.Effect === "Allow" && matches(s, r)),
	);
const denies = (docs: PolicyDocument[], r: Request) =>
	docs.some((d) =>
		d.Statement.some((s) => s.Effect === "Deny" && matches(s, r)),
	);

/** The decision for a request of a principal with these identity policies and (optional) boundary. */
export function decide(
	identity: PolicyDocument[],
	boundary: PolicyDocument | undefined,
	r: Request,
): "allow" | "deny" {
	const all = boundary ? [...identity, boundary] : identity;
	if (denies(all, r)) return "deny";
	if (!allows(identity, r)) return "deny";
	if (boundary && !allows([boundary], r)) return "deny";
	return "allow";
}

/**
 * AWS's PowerUserAccess managed policy as AWS publishes it (its two
 * statements): everything but IAM, Organizations and Account, plus
 * service-linked roles and a few read calls.
 */
export const POWER_USER_ACCESS: PolicyDocument = {
	Version: "2012-10-17",
	Statement: [
		{
			Effect: "Allow",
			NotAction: ["iam:*", "organizations:*", "account:*"],
			Resource: "*",
		} as unknown as PolicyStatement,
		{
			Effect: "Allow",
			Action: [
				"iam:CreateServiceLinkedRole",
				"iam:DeleteServiceLinkedRole",
				"iam:ListRoles",
				"organizations:DescribeOrganization",
				"account:ListRegions",
				"account:GetAccountInformation",
			],
			Resource: "*",
		},
	],
};

/** The worst case for a managed policy we cannot read here: it allows everything. */
export const ALLOW_EVERYTHING: PolicyDocument = {
	Version: "2012-10-17",
	Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};
