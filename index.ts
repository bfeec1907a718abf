/**
 * The Pulumi program (`pulumi up` per stack). Not written yet: the
 * infrastructure issue builds the platform here from stack config out of the
 * components in components/, around the runtime's state machine definition
 * (runtime/pipeline/definition.ts) and stage handlers
 * (runtime/pipeline/handlers.ts). Until then this program declares nothing.
 */
export {};
