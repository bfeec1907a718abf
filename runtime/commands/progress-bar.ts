/** A phase-aware progress bar for long CLI tasks (plain lines when not on a TTY). */
import cliProgress from "cli-progress";

export interface PhaseProgress {
	phase: string;
	done: number;
	total: number;
}

export function phaseProgressBar(out: NodeJS.WriteStream = process.stderr): {
	update: (p: PhaseProgress) => void;
	stop: () => void;
} {
	let bar: cliProgress.SingleBar | undefined;
	let phase = "";
	let lastPrinted = -1;
	const t0 = Date.now();
	return {
		update(p) {
			if (p.phase !== phase) {
				bar?.stop();
				bar = undefined;
				phase = p.phase;
				lastPrinted = -1;
				if (out.isTTY) {
					bar = new cliProgress.SingleBar(
						{
							format: `  ${p.phase.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
							stream: out,
						},
						cliProgress.Presets.shades_classic,
					);
					bar.start(p.total, p.done);
				}
			}
			if (bar) bar.update(p.done);
			else {
				// Non-TTY: a line per 25 %.
				const q = p.total > 0 ? Math.floor((4 * p.done) / p.total) : 4;
				if (q !== lastPrinted) {
					lastPrinted = q;
					out.write(
						`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${p.phase}: ${p.done}/${p.total}\n`,
					);
				}
			}
		},
		stop() {
			bar?.stop();
			bar = undefined;
		},
	};
}
