// asl-validator ships no type declarations.
declare module "asl-validator" {
	export default function aslValidator(
		definition: unknown,
		options?: { checkPaths?: boolean; checkArn?: boolean },
	): {
		isValid: boolean;
		errors: unknown[];
		errorsText: (separator?: string) => string;
	};
}
