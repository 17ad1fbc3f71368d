"""Plot a bench/soak CSV: resident memory, goroutines and threads, and the
database's size over time, one panel each, into a PNG.

    /usr/bin/python3 bench/soak/plot.py soak.csv docs/soak.png

Needs matplotlib (Debian: python3-matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    t = [float(r["seconds"]) / 60 for r in rows]
    mib = lambda k: [int(r[k]) / (1 << 20) for r in rows]  # noqa: E731
    requests = int(rows[-1]["requests"])
    errors = int(rows[-1]["errors"])
    fig, ax = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    fig.suptitle(
        "gatehouse serve on SQLite, steady mixed load: %d requests in %.0f min (%.0f/s), %d errors"
        % (requests, t[-1], requests / (t[-1] * 60), errors),
        fontsize=10,
    )
    ax[0].plot(t, mib("rss_bytes"), color="tab:blue")
    ax[0].set_ylabel("RSS (MiB)")
    ax[0].set_ylim(bottom=0)
    gor = [int(r["goroutines"]) for r in rows]
    if max(gor) >= 0:
        ax[1].plot(t, gor, label="goroutines", color="tab:green")
    ax[1].plot(t, [int(r["threads"]) for r in rows], label="OS threads", color="tab:gray")
    ax[1].set_ylabel("count")
    ax[1].set_ylim(bottom=0)
    ax[1].legend(loc="upper left")
    ax[2].plot(t, mib("db_bytes"), label="database file", color="tab:red")
    ax[2].plot(t, mib("wal_bytes"), label="WAL file", color="tab:orange")
    ax[2].set_ylabel("size (MiB)")
    ax[2].set_ylim(bottom=0)
    ax[2].set_xlabel("minutes")
    ax[2].legend(loc="upper left")
    for a in ax:
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(dst, dpi=90)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
