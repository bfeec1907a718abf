/**
 * Small seeded PRNG (splitmix32 state stepping + mulberry-style mixing) with
 * the draws the generator needs. Each concern gets its own stream
 * (`fork(label)`) so adding a draw in one place does not shift another.
 */

export class Rng {
	private state: number;
	constructor(seed: number) {
		this.state = seed >>> 0;
	}

	/** Independent stream derived from this seed and a label. */
	static stream(seed: number, label: string): Rng {
		let h = (seed ^ 0x9e3779b9) >>> 0;
		for (let i = 0; i < label.length; i++)
			h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
		return new Rng(mix(h));
	}

	/** Uniform in [0, 1). */
	next(): number {
		this.state = (this.state + 0x9e3779b9) >>> 0;
		return mix(this.state) / 4294967296;
	}

	uniform(lo: number, hi: number): number {
		return lo + (hi - lo) * this.next();
	}

	int(lo: number, hiInclusive: number): number {
		return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
	}

	bernoulli(p: number): boolean {
		return this.next() < p;
	}

	/** Standard normal (Box–Muller, one value per call). */
	normal(): number {
		const u = 1 - this.next();
		return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
	}

	/** Index drawn with probability proportional to `weights`. */
	weighted(weights: readonly number[]): number {
		let total = 0;
		for (const w of weights) total += w;
		let r = this.next() * total;
		for (let i = 0; i < weights.length; i++) {
			r -= weights[i];
			if (r < 0) return i;
		}
		return weights.length - 1;
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.next() * items.length)];
	}
}

/** 32-bit finaliser (murmur3 fmix32). */
function mix(x: number): number {
	let z = x >>> 0;
	z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
	z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
	return (z ^ (z >>> 16)) >>> 0;
}
