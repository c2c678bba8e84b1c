"""The profiler plugin's files, read: seq-<n>.tsv, the counts of one
sample (plugin/kdio_profile.c writes them), and the runner's "mark"
records that say which sample each seq is.
"""

from dataclasses import dataclass, field

from kdio.errors import ProfileError

FORMATS = ("# kdio-profile 1", "# kdio-profile 2")   # 2: loads, stores and stacks


@dataclass(frozen=True)
class Block:
    vaddr: int        # the translation block's first instruction
    size: int         # its bytes
    n_insns: int
    in_insns: int     # its instructions executed inside a timed window
    rep_iters: int    # rep movs/stos iterations among them
    rep_bytes: int    # the bytes those iterations stored
    loads: int = 0    # memory loads among them (format 2)
    stores: int = 0   # memory stores among them (format 2)
    spans: int = 0    # its instructions that cross a page end (format 2)


@dataclass(frozen=True)
class Counts:
    """One sample's counts: the windows' total, what ran outside them, and
    how its markers paired up."""
    in_insns: int
    out_insns: int
    starts: int
    ends: int
    unmatched_ends: int   # an end with no window open
    unclosed: int         # a start with a window already open, or open at the end
    spans: int = 0        # executions of instructions that cross a page end (format 2)
    blocks: tuple = field(default=())
    nodes: dict = field(default_factory=dict)   # stacks: {node id: (parent id, entry vaddr)}
    stacks: tuple = ()                           # stacks: (node id, block vaddr, in_insns)

    def frames(self, node):
        """The entry addresses of a node's frames, outermost first."""
        out = []
        while node:
            node, entry = self.nodes[node]
            out.append(entry)
        return out[::-1]


def read(path):
    """The Counts in one seq-<n>.tsv."""
    lines = path.read_text().splitlines()
    if not lines or lines[0] not in FORMATS:
        raise ProfileError(f"{path} is not a kdio profile (first line {lines[:1]})",
                           "it is written by kdio's plugin; run the case again with --profile")
    total, blocks, nodes, stacks = None, [], {}, []
    for n, line in enumerate(lines[1:], 2):
        f = line.split("\t")
        try:
            if f[0] == "total":
                total = [int(x) for x in f[1:8]]
            elif f[0] == "tb":
                blocks.append(Block(int(f[1], 16), *(int(x) for x in f[2:10])))
            elif f[0] == "node":
                nodes[int(f[1])] = (int(f[2]), int(f[3], 16))
            elif f[0] == "stack":
                stacks.append((int(f[1]), int(f[2], 16), int(f[3])))
            else:
                raise ValueError(f[0])
        except (ValueError, IndexError, TypeError) as e:
            raise ProfileError(f"{path}:{n}: not a profile line ({e})",
                               "the file is damaged; run the case again with --profile") from e
    if total is None:
        raise ProfileError(f"{path} has no total line", "run the case again with --profile")
    missing = {s[0] for s in stacks if s[0]} - set(nodes)
    if missing or any(p and p not in nodes for p, _ in nodes.values()):
        raise ProfileError(f"{path}: a stack names a frame the file does not hold",
                           "the file is damaged; run the case again with --profile")
    return Counts(*total, blocks=tuple(blocks), nodes=nodes, stacks=tuple(stacks))


def marks(records):
    """{seq: (case ids, rep)} of a guest's mark records: seq n's file holds
    the sample the n-th marker started (none for the last marker's)."""
    return {r["seq"]: (tuple(r["cases"]), r["rep"]) for r in records if r.get("type") == "mark"}
