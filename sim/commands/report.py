"""``pasim-report <sweep dir>``: a sweep's figures (``sim.analysis.report`` draws them)."""

from __future__ import annotations

from collections.abc import Sequence

from sim.analysis.report import report
from sim.commands.arguments import CommandParser, one_line_errors


def main(argv: Sequence[str] | None = None) -> None:
    parser = CommandParser(
        prog="pasim-report",
        description="Figures of a sweep: heatmaps over two levers, adoption curves with "
                    "bands, and the cost-effectiveness frontier (into <sweep dir>/report/).")
    parser.add_argument("sweep_dir", help="a sweep directory, e.g. results/sweeps/lever_grid")
    parser.add_argument("--x", help="parameter across the heatmaps (default: first swept)")
    parser.add_argument("--y", help="parameter down the heatmaps (default: second swept)")
    parser.add_argument("--out", help="where to write (default: <sweep dir>/report)")
    args = parser.parse_args(argv)
    with one_line_errors():
        paths = report(args.sweep_dir, x=args.x, y=args.y, out=args.out)
    for path in paths:
        print(path)



if __name__ == "__main__":
    main()
