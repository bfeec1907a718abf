/**
 * Live progress of a local run, fed by the state machine's event log: a
 * start line and exactly one outcome line per stage (✔ with its duration, or
 * ✘ with its duration and error — a caught failure also exits the state, which
 * must not read as a success), and a bar for the bronze shards. On a non-TTY
 * (CI, files) it prints plain lines only.
 */
import cliProgress from "cli-progress";
import type { EventLog } from "./run-local.ts";

export class ProgressDisplay {
	private readonly started = new Map<string, number>();
	/** Wall seconds of the Map states (they have no handler of their own to record them). */
	readonly mapSeconds = new Map<string, number>();
	/** States that failed (a failure's StateExited is not a success). */
	readonly failed = new Set<string>();
	/** A failed attempt (seconds, "Error: cause"), until it is caught or retried. */
	private readonly pending = new Map<
		string,
		{ seconds: number; error: string }
	>();
	private bar?: cliProgress.SingleBar;
	private shardsDone = 0;
	private readonly t0 = Date.now();
	private shardTotal = 0;
	constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

	private line(text: string): void {
		const elapsed = ((Date.now() - this.t0) / 1000).toFixed(1).padStart(6);
		if (this.bar) this.bar.stop();
		this.out.write(`[${elapsed}s] ${text}\n`);
		if (this.bar) this.bar.start(this.shardTotal, this.shardsDone);
	}

	onEvent = (e: EventLog): void => {
		switch (e.type) {
			case "StateEntered":
				if (e.state.type === "Task" || e.state.type === "Map") {
					if (e.state.name === "BronzeShard") return;
					this.started.set(e.state.name, e.timestamp);
					if (e.state.type === "Map") this.startBar();
					else this.line(`▶ ${e.state.name}`);
				}
				return;
			case "StateExited": {
				const t = this.started.get(e.state.name);
				if (t === undefined) return;
				if (e.state.type === "Map") {
					this.stopBar();
					this.mapSeconds.set(e.state.name, (e.timestamp - t) / 1000);
				}
				// A caught failure exits its state too: that is its ✘, not a ✔.
				const failure = this.pending.get(e.state.name);
				if (failure !== undefined) {
					this.pending.delete(e.state.name);
					this.failed.add(e.state.name);
					this.line(
						`✘ ${e.state.name} (${failure.seconds.toFixed(1)} s): ${failure.error}`,
					);
					return;
				}
				if (e.state.name === "ValidateRaw") {
					const raw = (
						e.state.output as { raw?: { shards?: unknown[] } } | undefined
					)?.raw;
					this.shardTotal = raw?.shards?.length ?? 0;
				}
				this.line(
					`✔ ${e.state.name} (${((e.timestamp - t) / 1000).toFixed(1)} s)`,
				);
				return;
			}
			case "MapIterationSucceeded":
				this.shardsDone++;
				if (this.bar) this.bar.update(this.shardsDone);
				else
					this.line(
						`  shard ${e.index + 1} done (${this.shardsDone}/${this.shardTotal || "?"})`,
					);
				return;
			case "StateRetried": {
				// The failed attempt is retried: its error goes with the retry line,
				// the stage's outcome is still to come.
				const failure = this.pending.get(e.state.name);
				this.pending.delete(e.state.name);
				this.line(
					`↻ ${e.state.name}: retry ${e.retry.attempt}${failure ? ` after ${failure.error}` : ""}`,
				);
				return;
			}
			case "StateFailed": {
				const t = this.started.get(e.state.name);
				// Shard failures show as the Map's; the Fail state ends every failed run.
				if (t === undefined) return;
				if (e.state.type === "Map") this.stopBar();
				// The cause's first line; a heading ending in ":" (a quality gate) with its first item.
				const [head, next] = String(e.Cause ?? "").split("\n");
				const cause =
					head.endsWith(":") && next ? `${head} ${next.trim()}` : head;
				// Printed when the state exits (caught) or with the retry line.
				this.pending.set(e.state.name, {
					seconds: (e.timestamp - t) / 1000,
					error: `${e.Error}${cause ? `: ${cause}` : ""}`,
				});
				return;
			}
			default:
				return;
		}
	};

	private startBar(): void {
		if (!this.out.isTTY || this.shardTotal === 0) {
			this.line(`▶ BronzeShards (${this.shardTotal || "?"} shards)`);
			return;
		}
		this.bar = new cliProgress.SingleBar(
			{
				format:
					"  bronze shards [{bar}] {value}/{total} | {duration_formatted}",
				stream: this.out,
			},
			cliProgress.Presets.shades_classic,
		);
		this.bar.start(this.shardTotal, 0);
	}
	private stopBar(): void {
		this.bar?.stop();
		this.bar = undefined;
	}
}
