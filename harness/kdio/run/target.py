"""Where a suite runs, behind one interface: one guest, a suite split
across several guests at once (kdio.run.bench), or this machine's own
kernel (kdio.run.host). Every target is run by execute(), in four steps:

- prepare: everything before the first case (refusals, builds, plans,
  disks, the emulator's configuration); nothing has been measured yet.
- context: what the host knows of the run before it starts, built by
  kdio.run.context.build from the target's own part.
- run: the suite, while kdio.run.progress reads its records as they come
  and rewrites result.json, so that a crash loses nothing measured.
- outcome: the final document, of the records and how the run ended;
  written with its CSV, then cleanup removes what prepare made.
"""

from kdio.results import results


class Target:
    """One way to run a request's suite. Subclasses fill in the steps."""

    def __init__(self, req):
        self.req = req

    def prepare(self, log):
        raise NotImplementedError

    def context(self):
        """The run's context (kdio.run.context.build)."""
        raise NotImplementedError

    def run(self, ctx, log):
        """Run the suite; whatever outcome() needs of how it went."""
        raise NotImplementedError

    def outcome(self, ctx, ran):
        """The final result document (kdio.results.document)."""
        raise NotImplementedError

    def cleanup(self):
        """Remove what prepare made for the run (disks, initramfs)."""

    def finished(self, ran):
        """After the document is written: raise what stopped the run, if
        the target must (host mode's Ctrl-C)."""


def execute(target, log):
    """prepare, context, run, outcome: (the final document, the run folder)."""
    try:
        target.prepare(log)
        ctx = target.context()
        ran = target.run(ctx, log)
        doc = results.write_final(target.outcome(ctx, ran), target.req.run_dir)
    finally:
        target.cleanup()
    target.finished(ran)
    return doc, target.req.run_dir
